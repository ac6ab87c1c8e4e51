"""Conversations: scope policy, read receipts, urgent notices escalated by SMS, attachments
scanned before they leave a case's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.notify.models import Delivery
from zhengtong.notify.models import Message as InboxMessage
from zhengtong.workspace import selectors, services
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import Conversation, Member, Message, UrgentReceipt


def heads_group(ws):
    return services.conversation_group_create(
        actor=ws.leader, title="街道主任群", member_ids=[ws.beishan_head.pk, ws.xixi_head.pk]
    )


def test_message_outside_scope_refused_audited_nothing_created(ws):
    before = Conversation.objects.count()
    with pytest.raises(PermissionDenied) as err:
        services.conversation_direct(actor=ws.beishan_clerk, other=ws.yiwu_staff)
    assert err.value.code == WorkspaceError.OUTSIDE_SCOPE
    assert Conversation.objects.count() == before
    event = AuditEvent.objects.filter(action="workspace.refused").latest("id")
    assert event.actor_id == ws.beishan_clerk.pk
    assert event.after["code"] == "outside_scope" and event.after["operation"] == "conversation_direct"
    with pytest.raises(PermissionDenied):
        services.conversation_group_create(actor=ws.beishan_clerk, title="x", member_ids=[ws.yiwu_staff.pk])
    assert Conversation.objects.count() == before


def test_message_outside_scope_allowed_by_setting(ws, settings):
    settings.WORKSPACE_MESSAGE_OUTSIDE_SCOPE = True
    conv = services.conversation_direct(actor=ws.beishan_clerk, other=ws.yiwu_staff)
    assert set(Member.objects.filter(conversation=conv).values_list("user_id", flat=True)) == {
        ws.beishan_clerk.pk,
        ws.yiwu_staff.pk,
    }
    assert services.conversation_direct(actor=ws.yiwu_staff, other=ws.beishan_clerk) == conv  # one per pair


def test_read_receipts_and_unread_counts(ws):
    conv = heads_group(ws)
    m1 = services.message_send(actor=ws.leader, conversation=conv, body="今天下午三点开会")
    m2 = services.message_send(actor=ws.leader, conversation=conv, body="请准时参加")
    assert (m1.seq, m2.seq) == (1, 2)
    unread = {c.pk: c.unread for c in selectors.conversations_for(ws.beishan_head)}
    assert unread[conv.pk] == 2
    assert {c.pk: c.unread for c in selectors.conversations_for(ws.leader)}[conv.pk] == 0
    services.conversation_read(actor=ws.beishan_head, conversation=conv)
    receipts = selectors.message_receipts(ws.leader, m2.pk)
    assert [r["user"].username for r in receipts["read"]] == ["beishan_head"]
    assert [r["user"].username for r in receipts["unread"]] == ["xixi_head"]
    assert {c.pk: c.unread for c in selectors.conversations_for(ws.beishan_head)}[conv.pk] == 0
    with pytest.raises(NotFound):  # not a member
        selectors.message_receipts(ws.yiwu_staff, m2.pk)


def test_non_member_cannot_post(ws):
    conv = heads_group(ws)
    with pytest.raises(PermissionDenied) as err:
        services.message_send(actor=ws.beishan_clerk, conversation=conv, body="hi")
    assert err.value.code == WorkspaceError.NOT_MEMBER
    assert Message.objects.filter(conversation=conv).count() == 0


def test_urgent_notice_escalates_to_sms_for_those_who_have_not_read(ws):
    conv = heads_group(ws)
    notice = services.message_send(
        actor=ws.leader,
        conversation=conv,
        body="防汛紧急通知：今晚各街道值班",
        urgent=True,
        sms_after_minutes=10,
    )
    assert UrgentReceipt.objects.filter(message=notice).count() == 2
    # the recipients are told after the commit, in bulk, by the delivery loop
    assert InboxMessage.objects.filter(event="workspace.urgent").count() == 0
    assert services.messages_deliver() == 1
    assert InboxMessage.objects.filter(event="workspace.urgent").count() == 2
    assert services.messages_deliver() == 0  # told once
    services.conversation_read(actor=ws.beishan_head, conversation=conv)
    assert UrgentReceipt.objects.get(message=notice, user=ws.beishan_head).read_at is not None
    # not yet due
    assert services.urgent_escalate(now=timezone.now() + dt.timedelta(minutes=5)) == 0
    assert services.urgent_escalate(now=timezone.now() + dt.timedelta(minutes=11)) == 1
    sms = Delivery.objects.filter(channel="sms", message__event="workspace.urgent_sms")
    assert [d.message.recipient_id for d in sms] == [ws.xixi_head.pk]
    assert UrgentReceipt.objects.get(message=notice, user=ws.xixi_head).sms_at is not None
    assert UrgentReceipt.objects.get(message=notice, user=ws.beishan_head).sms_at is None
    # once only
    assert services.urgent_escalate(now=timezone.now() + dt.timedelta(minutes=30)) == 0
    receipts = selectors.message_receipts(ws.leader, notice.pk)
    assert [r["user"].username for r in receipts["unread"]] == ["xixi_head"]
    assert receipts["unread"][0]["sms_at"] is not None


def _case_conversation(ws):
    conv = Conversation.objects.create(
        kind="case", title="案件 1", org_unit=ws.xihu, ref="case:999", created_by=ws.leader
    )
    Member.objects.create(conversation=conv, user=ws.leader)
    return conv


def test_attachment_with_identifiers_refused_when_leaving_the_case(ws):
    from datetime import date

    case_conv = _case_conversation(ws)
    rid = generate_resident_id("330106", date(1980, 1, 2), 7)
    upload = SimpleUploadedFile("名单.txt", f"张三 {rid} 13912345678\n".encode(), content_type="text/plain")
    inside = services.message_send(
        actor=ws.leader, conversation=case_conv, body="当事人名单", attachment=upload
    )
    assert inside.origin_ref == "case:999" and inside.attachment_size > 0
    group = heads_group(ws)
    before = Message.objects.filter(conversation=group).count()
    with pytest.raises(ValidationError) as err:
        services.message_forward(actor=ws.leader, message=inside, conversation=group)
    assert err.value.code == WorkspaceError.ATTACHMENT_IDENTIFIERS
    assert "resident_id" in err.value.details["kinds"]
    assert Message.objects.filter(conversation=group).count() == before
    event = AuditEvent.objects.filter(action="workspace.refused").latest("id")
    assert event.after["code"] == "attachment_identifiers"
    assert rid not in str(event.after) and rid not in event.note
    # a clean message leaves the case
    clean = services.message_send(actor=ws.leader, conversation=case_conv, body="明天上午现场核查")
    out = services.message_forward(actor=ws.leader, message=clean, conversation=group)
    assert out.body == "明天上午现场核查" and out.origin_ref == ""


def test_pages_at_phone_size_render(ws):
    conv = heads_group(ws)
    notice = services.message_send(actor=ws.leader, conversation=conv, body="紧急", urgent=True)
    client = Client()
    client.force_login(ws.leader, backend="django.contrib.auth.backends.ModelBackend")
    for url in (
        reverse("workspace:home"),
        reverse("workspace:directory") + "?q=lxm",
        reverse("workspace:conversations"),
        reverse("workspace:conversation", args=[conv.pk]),
        reverse("workspace:receipts", args=[notice.pk]),
        reverse("workspace:manifest"),
        reverse("workspace:service_worker"),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("workspace:receipts", args=[notice.pk])).content.decode()
    assert "李小明" in page and "张伟" in page
    response = client.post(reverse("workspace:conversation", args=[conv.pk]), {"body": "收到请回复"})
    assert response.status_code == 302
    assert Message.objects.filter(conversation=conv, body="收到请回复").exists()
    outsider = Client()
    outsider.force_login(ws.yiwu_staff, backend="django.contrib.auth.backends.ModelBackend")
    assert outsider.get(reverse("workspace:conversation", args=[conv.pk])).status_code == 404


def test_retention_purges_informal_messages_only_and_export_is_audited(ws, settings):
    group = heads_group(ws)
    old = services.message_send(actor=ws.leader, conversation=group, body="旧消息")
    case_conv = _case_conversation(ws)
    kept = services.message_send(actor=ws.leader, conversation=case_conv, body="办件记录")
    Message.objects.filter(pk__in=[old.pk, kept.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=400)
    )
    fresh = services.message_send(actor=ws.leader, conversation=group, body="新消息")
    assert services.messages_purge_expired() == 0  # retention 0: keep everything
    settings.WORKSPACE_MESSAGE_RETENTION_DAYS = 365
    assert services.messages_purge_expired() == 1
    assert set(Message.objects.filter(pk__in=[old.pk, kept.pk, fresh.pk]).values_list("pk", flat=True)) == {
        kept.pk,
        fresh.pk,
    }
    assert AuditEvent.objects.filter(action="workspace.message.purge").exists()
    data = services.conversation_export(actor=ws.beishan_head, conversation=group)
    assert [m["body"] for m in data["messages"]] == ["新消息"]
    assert AuditEvent.objects.filter(
        action="workspace.conversation.export", actor_id=ws.beishan_head.pk
    ).exists()
    with pytest.raises(NotFound):
        services.conversation_export(actor=ws.yiwu_staff, conversation=group)


def test_sending_costs_the_same_statements_whatever_the_group_size(ws):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = heads_group(ws)
    everyone = [u.pk for u in (ws.beishan_head, ws.xixi_head, ws.beishan_clerk, ws.scjg_clerk, ws.scjg_head)]
    everyone += [u.pk for u in (ws.gaj_head, ws.gaj_clerk, ws.province_leader)]
    large = services.conversation_group_create(actor=ws.leader, title="全区", member_ids=everyone)
    counts = []
    for conv in (small, large, small, large):
        with CaptureQueriesContext(connection) as ctx:
            services.message_send(actor=ws.leader, conversation=conv, body="通知")
        counts.append(len(ctx))
    assert counts[2] == counts[3], counts
    assert InboxMessage.objects.count() == 0  # nothing per member inside the sender's transaction
    unread = {c.pk: c.unread for c in selectors.conversations_for(ws.gaj_clerk)}
    assert unread[large.pk] == 2


def test_push_once_per_unread_streak_after_commit(ws, settings):
    from zhengtong.workspace.models import LocalPush, PushSubscription

    private, public = services.vapid_keys()
    settings.WORKSPACE_VAPID_PRIVATE_KEY, settings.WORKSPACE_VAPID_PUBLIC_KEY = private, public
    from zhengtong.workspace.tests.test_knowledge_push import _browser_keys

    p256dh, auth = _browser_keys()
    PushSubscription.objects.create(
        user=ws.beishan_head, endpoint="https://push.example.invalid/s/1", p256dh=p256dh, auth=auth
    )
    conv = heads_group(ws)
    for body in ("一", "二", "三"):
        services.message_send(actor=ws.leader, conversation=conv, body=body)
    assert Delivery.objects.filter(channel="push").count() == 0  # nothing before the loop runs
    assert services.messages_deliver() == 3
    pushes = Delivery.objects.filter(channel="push")
    assert [(d.message.recipient_id, d.message.body) for d in pushes] == [(ws.beishan_head.pk, "三")]
    assert pushes[0].message.read_at is not None  # the chat keeps its own unread count
    services.message_send(actor=ws.leader, conversation=conv, body="四")
    services.messages_deliver()
    assert Delivery.objects.filter(channel="push").count() == 1  # same unread streak: no new push
    services.conversation_read(actor=ws.beishan_head, conversation=conv)
    services.message_send(actor=ws.leader, conversation=conv, body="五")
    services.messages_deliver()
    assert Delivery.objects.filter(channel="push").count() == 2  # a new streak
    # the xixi head subscribed nothing: no push rows for them, and no inbox clutter
    assert not Delivery.objects.filter(message__recipient=ws.xixi_head).exists()
    notice = services.message_send(actor=ws.leader, conversation=conv, body="紧急", urgent=True)
    services.messages_deliver()
    urgent = InboxMessage.objects.filter(event="workspace.urgent")
    assert sorted(m.recipient_id for m in urgent) == sorted([ws.beishan_head.pk, ws.xixi_head.pk])
    assert Delivery.objects.filter(channel="push", message__event="workspace.urgent").count() == 1
    from zhengtong.core import outbox

    outbox.deliver_pending(topic="notify.delivery")
    assert LocalPush.objects.count() == 3
    assert notice.seq == 6


def test_every_member_sees_new_messages_in_app_push_only_where_subscribed(ws, settings):
    """A member without a push device sees the message and the unread count in the workspace
    (the tabs' badge, the lists, unread.json); pushes go only to the subscribed device."""
    from zhengtong.workspace.models import PushSubscription
    from zhengtong.workspace.tests.test_knowledge_push import _browser_keys

    private, public = services.vapid_keys()
    settings.WORKSPACE_VAPID_PRIVATE_KEY, settings.WORKSPACE_VAPID_PUBLIC_KEY = private, public
    p256dh, auth = _browser_keys()
    PushSubscription.objects.create(
        user=ws.beishan_head, endpoint="https://push.example.invalid/s/2", p256dh=p256dh, auth=auth
    )
    conv = heads_group(ws)
    services.message_send(actor=ws.leader, conversation=conv, body="请报送周报")
    services.message_send(actor=ws.leader, conversation=conv, body="今天下班前")
    services.messages_deliver()
    assert [d.message.recipient_id for d in Delivery.objects.filter(channel="push")] == [ws.beishan_head.pk]
    client = Client()
    client.force_login(ws.xixi_head, backend="django.contrib.auth.backends.ModelBackend")  # no device
    data = client.get(reverse("workspace:unread")).json()
    assert data == {
        "total": 2,
        "conversations": [
            {
                "id": conv.pk,
                "title": "街道主任群",
                "unread": 2,
                "url": reverse("workspace:conversation", args=[conv.pk]),
            }
        ],
    }
    page = client.get(reverse("workspace:conversations")).content.decode()
    assert 'id="ws-unread" aria-label="unread">2</span>' in page
    assert f'data-ws-conversation="{conv.pk}">2</span>' in page
    opened = client.get(reverse("workspace:conversation", args=[conv.pk])).content.decode()
    assert "请报送周报" in opened and "今天下班前" in opened
    assert client.get(reverse("workspace:unread")).json() == {"total": 0, "conversations": []}
    assert (
        'id="ws-unread" aria-label="unread" hidden>0</span>'
        in client.get(reverse("workspace:home")).content.decode()
    )
    assert (
        Member.objects.get(conversation=conv, user=ws.beishan_head).last_read_seq == 0
    )  # not read for others
    assert Client().get(reverse("workspace:unread")).status_code == 302  # anonymous: to the login page
