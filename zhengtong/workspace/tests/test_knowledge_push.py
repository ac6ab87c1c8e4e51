"""The knowledge base (public and internal entries, Chinese and pinyin search, links from tasks)
and Web Push through notify's push channel (VAPID-signed, encrypted, recorded locally)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client
from django.urls import reverse

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify.models import Delivery
from zhengtong.notify.services import notify
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import KnowledgeEntry, LocalPush


def entries(ws):
    public = services.knowledge_entry_create(
        actor=ws.scjg_clerk,
        kind="answer",
        visibility="public",
        title="个体工商户营业执照如何办理",
        body="携带身份证到政务服务中心市场监管窗口办理，或在网上申请。",
        tags="营业执照 个体户",
    )
    internal = services.knowledge_entry_create(
        actor=ws.scjg_clerk,
        kind="procedure",
        visibility="internal",
        title="食品安全投诉处置流程",
        body="接到投诉后两个工作日内联系投诉人，五个工作日内现场核查。",
    )
    return public, internal


def test_search_public_and_internal(ws):
    public, internal = entries(ws)
    assert [e.pk for e in selectors.knowledge_search(None, q="营业执照")] == [public.pk]
    assert selectors.knowledge_search(None, q="投诉处置") == []  # internal: staff only
    assert [e.pk for e in selectors.knowledge_search(ws.gaj_clerk, q="投诉 核查")] == [internal.pk]
    assert [e.pk for e in selectors.knowledge_search(ws.gaj_clerk, q="spaqts")] == [
        internal.pk
    ]  # 食品安全投诉: initials
    client = Client()
    page = client.get(reverse("workspace:knowledge") + "?q=营业执照").content.decode()
    assert "个体工商户营业执照如何办理" in page and "食品安全投诉处置流程" not in page
    assert client.get(reverse("workspace:knowledge_entry", args=[internal.pk])).status_code == 404


def test_write_needs_permission(ws):
    count = KnowledgeEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.knowledge_entry_create(
            actor=ws.beishan_head, kind="answer", visibility="public", title="t", body="b"
        )
    with pytest.raises(ValidationError):
        services.knowledge_entry_create(
            actor=ws.scjg_clerk, kind="answer", visibility="secret", title="t", body="b"
        )
    assert KnowledgeEntry.objects.count() == count


def test_link_from_task(ws):
    _public, internal = entries(ws)
    task = services.task_assign(actor=ws.leader, title="处置投诉", due_working_days=2, assignee=ws.scjg_clerk)
    services.knowledge_link(actor=ws.scjg_clerk, entry=internal, ref=f"task:{task.pk}")
    assert [e.pk for e in selectors.knowledge_for_ref(ws.leader, f"task:{task.pk}")] == [internal.pk]
    assert selectors.knowledge_for_ref(None, f"task:{task.pk}") == []
    with pytest.raises(ValidationError):
        services.knowledge_link(actor=ws.scjg_clerk, entry=internal, ref="nothing:1")


def _browser_keys():
    key = ec.generate_private_key(ec.SECP256R1())
    p256dh = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return enc(p256dh), enc(b"0123456789abcdef")


def test_push_subscription_and_delivery_through_notify(ws, settings):
    private, public = services.vapid_keys()
    settings.WORKSPACE_VAPID_PRIVATE_KEY, settings.WORKSPACE_VAPID_PUBLIC_KEY = private, public
    settings.WORKSPACE_PUSH_BACKEND = "local"
    p256dh, auth = _browser_keys()
    client = Client()
    client.force_login(ws.beishan_head, backend="django.contrib.auth.backends.ModelBackend")
    body = {"endpoint": "https://push.example.invalid/send/abc", "keys": {"p256dh": p256dh, "auth": auth}}
    response = client.post(
        reverse("workspace:push_subscription"), json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201
    bad = client.post(
        reverse("workspace:push_subscription"),
        json.dumps({**body, "endpoint": "http://insecure.invalid/x"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    notify(recipient=ws.beishan_head, event="workspace.test", title="测试推送", channels=("inbox", "push"))
    delivery = Delivery.objects.get(channel="push", message__recipient=ws.beishan_head)
    from zhengtong.core import outbox

    outbox.deliver_pending(topic="notify.delivery")
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    push = LocalPush.objects.get()
    assert push.endpoint == body["endpoint"]
    assert push.headers["content-encoding"] == "aes128gcm" and push.body_size > 0
    # RFC 8292: "vapid t=<JWT signed with the private key>, k=<public key>"
    assert (
        push.headers["authorization"].startswith("vapid t=")
        and f"k={public}" in push.headers["authorization"]
    )
    assert "测试推送".encode() not in bytes(push.body)  # encrypted for the browser
    assert Client().get("/api/v1/workspace/push/key").json() == {"public_key": public}
