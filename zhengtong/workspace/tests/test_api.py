"""The workspace API and pages through HTTP: directory, messages and receipts, tasks, 督办,
refusals as error bodies, the public knowledge search, the join page."""

from __future__ import annotations

import json

from django.test import Client
from django.urls import reverse

from zhengtong.workspace import services
from zhengtong.workspace.models import Conversation, Message


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_directory_messages_and_receipts_over_the_api(ws):
    leader = client_for(ws.leader)
    found = leader.get("/api/v1/workspace/directory?q=zw").json()["items"]
    assert [e["name"] for e in found] == ["张伟"] and found[0]["mobile"] == "13900000003"
    clerk_view = client_for(ws.beishan_clerk).get("/api/v1/workspace/directory?q=zw").json()["items"]
    assert clerk_view[0]["mobile"] != "13900000003"
    created = post(
        leader,
        "/api/v1/workspace/conversations",
        {"title": "街道主任群", "member_ids": [ws.beishan_head.pk, ws.xixi_head.pk]},
    )
    assert created.status_code == 201
    conv = created.json()["id"]
    sent = post(
        leader, f"/api/v1/workspace/conversations/{conv}/messages", {"body": "紧急会议", "urgent": True}
    )
    assert sent.status_code == 201
    head = client_for(ws.beishan_head)
    assert [c["unread"] for c in head.get("/api/v1/workspace/conversations").json()["items"]] == [1]
    assert post(head, f"/api/v1/workspace/conversations/{conv}/read", {}).json() == {"last_read_seq": 1}
    receipts = leader.get(f"/api/v1/workspace/messages/{sent.json()['id']}/receipts").json()
    assert [r["name"] for r in receipts["read"]] == ["李小明"]
    assert [r["name"] for r in receipts["unread"]] == ["张伟"]


def test_refusal_is_an_error_body_and_changes_nothing(ws):
    clerk = client_for(ws.beishan_clerk)
    before = Conversation.objects.count()
    response = post(clerk, "/api/v1/workspace/conversations/direct", {"user_id": ws.yiwu_staff.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_scope"
    assert Conversation.objects.count() == before
    bad = post(client_for(ws.leader), "/api/v1/workspace/tasks", {"title": "", "due_working_days": 3})
    assert bad.status_code == 422 and "title" in bad.json()["error"]["details"]["fields"]


def test_tasks_and_supervision_over_the_api(ws):
    leader = client_for(ws.leader)
    made = post(
        leader,
        "/api/v1/workspace/tasks",
        {"title": "防寒防冻", "due_working_days": 2, "department_ids": [ws.xihu_scjg.pk, ws.xihu_gaj.pk]},
    )
    assert made.status_code == 201
    view = leader.get("/api/v1/workspace/supervision").json()
    assert view["totals"]["open"] == 3
    assert client_for(ws.scjg_clerk).get("/api/v1/workspace/supervision").status_code == 403


def test_public_knowledge_search_and_join_page(ws):
    services.knowledge_entry_create(
        actor=ws.scjg_clerk, kind="answer", visibility="public", title="营业执照怎么办", body="到窗口办理"
    )
    items = Client().get("/api/v1/workspace/knowledge?q=营业执照").json()["items"]
    assert [i["title"] for i in items] == ["营业执照怎么办"]
    leader = client_for(ws.leader)
    assert leader.get(reverse("workspace:join", args=["case", 999999])).status_code == 404
    assert leader.get(reverse("workspace:join", args=["nothing", 1])).status_code == 404
    task = services.task_assign(actor=ws.leader, title="讨论", due_working_days=2, assignee=ws.scjg_clerk)
    assert leader.get(reverse("workspace:join", args=["task", task.pk])).status_code == 200
    assert leader.post(reverse("workspace:join", args=["task", task.pk])).status_code == 302
    conv = Conversation.objects.get(ref=f"task:{task.pk}")
    assert services.message_send(actor=ws.scjg_clerk, conversation=conv, body="收到").seq == 1
    assert Message.objects.filter(conversation=conv).count() == 1


def test_ordinary_message_over_the_api_is_one_statement_and_refuses_non_members(ws):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengtong.workspace.models import Member

    conv = services.conversation_group_create(
        actor=ws.leader, title="街道主任群", member_ids=[ws.beishan_head.pk, ws.xixi_head.pk]
    )
    leader = client_for(ws.leader)
    url = f"/api/v1/workspace/conversations/{conv.pk}/messages"
    first = post(leader, url, {"body": "  明早八点开会  "})
    assert first.status_code == 201
    assert (first.json()["seq"], first.json()["body"], first.json()["urgent"]) == (1, "明早八点开会", False)
    with CaptureQueriesContext(connection) as ctx:
        services.message_post(actor=ws.leader, conversation_id=conv.pk, body="第二条")
    writes = [q["sql"] for q in ctx.captured_queries if "workspace_message" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(writes) == 1, writes  # membership, number, message and read position together
    # read receipts: the sender has read both, the heads have two unread
    assert Member.objects.get(conversation=conv, user=ws.leader).last_read_seq == 2
    head = client_for(ws.beishan_head)
    assert [c["unread"] for c in head.get("/api/v1/workspace/conversations").json()["items"]] == [2]
    assert head.get("/workspace/messages/unread.json").json()["total"] == 2
    # a non-member (or no such conversation): 404, nothing written
    before = Message.objects.count()
    outsider = post(client_for(ws.scjg_clerk), url, {"body": "我也说一句"})
    assert outsider.status_code == 404
    assert post(leader, "/api/v1/workspace/conversations/999999/messages", {"body": "x"}).status_code == 404
    assert post(leader, url, {"body": "   "}).status_code == 422
    assert Message.objects.count() == before
    assert Conversation.objects.get(pk=conv.pk).last_seq == 2


def test_lean_service_serves_the_hot_paths_only(ws):
    from django.conf import settings
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test.client import FakePayload, RequestFactory

    from zhengtong.workspace import wsgi_messages

    conv = services.conversation_group_create(actor=ws.leader, title="群", member_ids=[ws.beishan_head.pk])
    client = client_for(ws.leader)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "a" * 32

    def call(method, path, body=b"", cookie=f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}"):
        environ = RequestFactory()._base_environ(
            PATH_INFO=path,
            REQUEST_METHOD=method,
            HTTP_COOKIE=cookie,
            HTTP_X_CSRFTOKEN=csrf,
            CONTENT_TYPE="application/json",
            CONTENT_LENGTH=str(len(body)),
            **{"wsgi.input": FakePayload(body)},
        )
        answer = {}
        # As Django's test client does: the test's connection (its transaction) stays open.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            chunks = wsgi_messages.application(environ, lambda status, headers: answer.update(status=status))
            body = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return int(answer["status"][:3]), body

    status, body = call("POST", f"/api/v1/workspace/conversations/{conv.pk}/messages", b'{"body": "hi"}')
    assert status == 201 and json.loads(body)["seq"] == 1
    status, body = call("GET", "/workspace/messages/unread.json")
    assert status == 200 and json.loads(body)["total"] == 0
    assert call("GET", "/workspace/")[0] == 404  # pages are not served by the lean service
    # no CSRF token: refused, nothing written
    assert call("POST", f"/api/v1/workspace/conversations/{conv.pk}/messages", b'{"body": "x"}',
                cookie=f"{settings.SESSION_COOKIE_NAME}={session}")[0] in (401, 403)  # fmt: skip
    assert Message.objects.filter(conversation=conv).count() == 1
    # The session's user comes from a per-process copy (accounts.middleware.session_user); it
    # follows what the sign-in checks: a revoked grant refuses at once, a changed password
    # signs the session out.
    from zhengtong.accounts import services as account_services
    from zhengtong.accounts.models import RoleGrant
    from zhengtong.accounts.services import system_actor

    assert call("GET", "/workspace/messages/unread.json")[0] == 200  # cached now
    grants = list(RoleGrant.objects.filter(user=ws.leader, revoked_at__isnull=True))
    for grant in grants:
        account_services.role_revoke(actor=system_actor(), grant=grant)
    assert call("GET", "/workspace/messages/unread.json")[0] == 403
    assert call("POST", f"/api/v1/workspace/conversations/{conv.pk}/messages", b'{"body": "y"}')[0] == 403
    assert Message.objects.filter(conversation=conv).count() == 1
    ws.leader.set_password("another-Passw0rd!")
    ws.leader.save(update_fields=["password"])
    assert call("GET", "/workspace/messages/unread.json")[0] == 302  # signed out: to the sign-in page
    assert call("POST", f"/api/v1/workspace/conversations/{conv.pk}/messages", b'{"body": "z"}')[0] in (
        401,
        403,
    )
    assert Message.objects.filter(conversation=conv).count() == 1
