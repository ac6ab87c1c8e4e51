"""Walk-through in headless Chromium at 390 px, screenshots in var/screenshots/workspace-*.png:
the county leader sends an urgent notice to the township heads and sees who has not read it;
assigns a task to two departments; one goes overdue and appears in the 督办 view; the office's
document, countersigned (会签) by another department, signed off (签发) and numbered, is sealed and
distributed, and a township acknowledges it; the sealed PDF verifies with the independent script
(scripts/verify_sealed_pdf.py) and is rendered with pdftoppm."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from zhengtong.core.calendar import add_working_days
from zhengtong.core.sla import sla_scan
from zhengtong.portal.tests.cdp import Browser, find_chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
    pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed"),
]
SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture(scope="module")
def phone():
    with Browser.launch(width=390, height=844) as chromium:
        page = chromium.page()
        page.call(
            "Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True
        )
        yield page
        page.close()


def open_as(page, live_server, user, path: str):
    page.clear_cookies()
    page.set_cookie(settings.LANGUAGE_COOKIE_NAME, "zh-hans", live_server.url)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    page.set_cookie(
        settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value, live_server.url
    )
    response = page.goto(live_server.url + path)
    assert response.get("status") == 200, (path, response.get("status"))
    # No sideways scrolling at 390 px (waited for: the previous page may still be unloading).
    page.wait_for(
        "document.readyState === 'complete' && document.documentElement.scrollWidth <= 390", timeout=10.0
    )
    return page


def shot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(SHOTS / f"workspace-{name}.png", full_page=True)


def test_notice_task_supervision_document(phone, live_server, ws):
    from zhengtong.workspace import services
    from zhengtong.workspace.models import Message, Task

    group = services.conversation_group_create(
        actor=ws.leader, title="街道主任群", member_ids=[ws.beishan_head.pk, ws.xixi_head.pk]
    )
    # 1. The leader sends an urgent notice from the phone.
    page = open_as(phone, live_server, ws.leader, f"/workspace/messages/{group.pk}/")
    page.evaluate("document.getElementById('id_body').value = '寒潮预警：请立即部署防寒防冻'")
    page.evaluate("document.getElementById('id_urgent').checked = true")
    page.evaluate("document.querySelector('.ws-compose button[type=submit]').click()")
    page.wait_for("document.querySelector('.ws-urgent') !== null", timeout=10.0)
    notice = Message.objects.get(conversation=group, urgent=True)
    shot(page, "1-notice")
    # 2. One head reads it; the leader sees who has not.
    open_as(phone, live_server, ws.beishan_head, f"/workspace/messages/{group.pk}/")
    page = open_as(phone, live_server, ws.leader, f"/workspace/messages/receipts/{notice.pk}/")
    assert page.evaluate("document.getElementById('unread').textContent").strip() == "张伟"
    assert "李小明" in page.evaluate("document.getElementById('read').textContent")
    shot(page, "2-receipts")
    # 3. A task for two departments; one becomes overdue and shows in the 督办 view.
    main = services.task_assign(
        actor=ws.leader, title="岁末安全检查", due_working_days=2, departments=[ws.xihu_scjg, ws.xihu_gaj]
    )
    done = main.subtasks.order_by("id").last()
    services.task_complete(actor=ws.gaj_clerk, task=done)
    sla_scan(on=add_working_days(main.sla_deadline, 1))
    assert Task.objects.filter(parent=main, sla_state="overdue").count() == 1
    page = open_as(phone, live_server, ws.leader, "/workspace/supervision/")
    text = page.evaluate("document.getElementById('overdue-tasks').textContent")
    assert "西湖区市场监督管理局" in text and "西湖区公安分局" not in text
    shot(page, "3-supervision")
    # 4. A document: 签发, numbered, sealed, distributed; the township acknowledges it.
    doc = services.document_draft(
        actor=ws.scjg_clerk,
        template="notice",
        title="关于开展岁末安全检查的通知",
        body="请各街道做好安全检查。",
        number_prefix="西市监发",
    )
    services.document_route(actor=ws.scjg_clerk, document=doc, departments=[ws.xihu_gaj])  # 会签
    page = open_as(phone, live_server, ws.gaj_head, f"/workspace/documents/{doc.pk}/")
    shot(page, "4a-countersign")
    services.document_countersign(actor=ws.gaj_head, document=doc, opinion="同意")
    doc.refresh_from_db()
    assert doc.state == "awaiting_signoff", doc.state
    services.document_sign(actor=ws.leader, document=doc)
    services.document_number(actor=ws.scjg_clerk, document=doc)
    doc.refresh_from_db()
    services.document_issue(actor=ws.scjg_clerk, document=doc, recipients=[(ws.beishan, None)])
    page = open_as(phone, live_server, ws.beishan_clerk, "/workspace/documents/")
    page.evaluate("document.querySelector('form[action*=acknowledge] button').click()")
    page.wait_for("location.pathname.startsWith('/workspace/incoming/')", timeout=10.0)
    page = open_as(phone, live_server, ws.scjg_clerk, f"/workspace/documents/{doc.pk}/")
    assert "西市监发〔" in page.evaluate("document.querySelector('.ws-doc-number').textContent")
    assert page.csp_violations() == []
    shot(page, "4-document")
    # 5. The sealed PDF verifies with the independent script against the live site; a copy with
    # one byte more does not. Rendered with pdftoppm for looking at.
    doc.refresh_from_db()
    client = Client()
    client.force_login(ws.scjg_clerk, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(f"/workspace/documents/{doc.pk}/pdf/")
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    assert pdf.startswith(b"%PDF")
    SHOTS.mkdir(parents=True, exist_ok=True)
    good, bad = SHOTS / "workspace-document.pdf", SHOTS / "workspace-document-altered.pdf"
    good.write_bytes(pdf)
    bad.write_bytes(pdf + b"\n")
    script = Path(settings.BASE_DIR) / "scripts" / "verify_sealed_pdf.py"
    run = [sys.executable, str(script), live_server.url, doc.seal_code]
    assert subprocess.run([*run, str(good)], capture_output=True, timeout=60).returncode == 0
    assert subprocess.run([*run, str(bad)], capture_output=True, timeout=60).returncode == 1
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(good), str(SHOTS / "workspace-5-pdf")],
            check=True,
            timeout=60,
        )


def test_a_member_without_a_device_sees_new_messages_arrive_in_app(phone, live_server, ws, settings):
    """The Messages tab's badge and the conversation's badge update while the page is open (the
    page polls unread.json); the member has no push device."""
    from zhengtong.workspace import services
    from zhengtong.workspace.models import PushSubscription

    settings.WORKSPACE_UNREAD_POLL_SECONDS = 2
    group = services.conversation_group_create(
        actor=ws.leader, title="街道主任群", member_ids=[ws.beishan_head.pk, ws.xixi_head.pk]
    )
    assert not PushSubscription.objects.filter(user=ws.xixi_head).exists()
    page = open_as(phone, live_server, ws.xixi_head, "/workspace/messages/")
    assert page.evaluate("document.getElementById('ws-unread').hidden") is True
    services.message_send(actor=ws.leader, conversation=group, body="请于今天下班前报送值班表")
    services.message_send(actor=ws.leader, conversation=group, body="收到请回复")
    page.wait_for(
        "(() => { const b = document.getElementById('ws-unread');"
        " return !b.hidden && b.textContent === '2'; })()",
        timeout=15.0,
    )
    badge = page.evaluate(f"document.querySelector('[data-ws-conversation=\"{group.pk}\"]').textContent")
    assert badge == "2"
    shot(page, "unread-in-app")
    page.goto(live_server.url + f"/workspace/messages/{group.pk}/")
    page.wait_for("document.readyState === 'complete'", timeout=10.0)
    assert "请于今天下班前报送值班表" in page.evaluate("document.body.innerText")
    assert page.evaluate("document.getElementById('ws-unread').hidden") is True
