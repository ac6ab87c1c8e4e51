"""Official documents: 会签, 签发 by signatories only, numbering without gaps or duplicates,
sealing, distribution and acknowledgement, incoming handling; no edits after 签发."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied
from zhengtong.seals import selectors as seal_selectors
from zhengtong.seals import services as seals
from zhengtong.workspace import selectors, services
from zhengtong.workspace.errors import WorkspaceError
from zhengtong.workspace.models import DocumentCounter, IncomingDocument, OutgoingDocument


def draft(ws, **kw):
    return services.document_draft(
        actor=kw.pop("actor", ws.scjg_clerk),
        template="notice",
        title="关于开展食品安全专项检查的通知",
        body="为保障节日期间食品安全，决定开展专项检查。\n请各街道于12月10日前报送检查情况。",
        number_prefix="西市监发",
        recipients="各街道办事处：",
        attachments="检查表",
        copy_to="区政府办公室",
        **kw,
    )


def test_full_route_countersign_sign_number_seal_distribute_acknowledge(ws):
    doc = draft(ws)
    services.document_route(actor=ws.scjg_clerk, document=doc, departments=[ws.xihu_gaj])
    assert doc.state == "countersigning"
    with pytest.raises(PermissionDenied):
        services.document_countersign(actor=ws.scjg_head, document=doc)  # not a countersigning department
    services.document_countersign(actor=ws.gaj_head, document=doc, opinion="同意")
    doc.refresh_from_db()
    assert doc.state == "awaiting_signoff"
    services.document_sign(actor=ws.leader, document=doc)
    services.document_number(actor=ws.scjg_clerk, document=doc)
    doc.refresh_from_db()
    year = doc.year
    assert (doc.state, doc.serial, doc.doc_number) == ("numbered", 1, f"西市监发〔{year}〕1号")
    services.document_issue(
        actor=ws.scjg_clerk, document=doc, recipients=[(ws.beishan, None), (ws.xixi, None)]
    )
    doc.refresh_from_db()
    assert doc.state == "issued" and doc.seal_code
    sealed = seal_selectors.document_by_code(doc.seal_code)
    pdf = seal_selectors.document_pdf(sealed)
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == doc.pdf_sha256
    assert seals.verify_document(sealed).status == "valid"
    # the recipient's clerk acknowledges (收文登记) and handles it to completion
    todo = selectors.distributions_to_acknowledge(ws.beishan_clerk)
    assert [d.org_unit for d in todo] == [ws.beishan]
    incoming = services.distribution_acknowledge(actor=ws.beishan_clerk, distribution=todo[0])
    with pytest.raises(Conflict):
        services.distribution_acknowledge(actor=ws.beishan_clerk, distribution=todo[0])
    services.incoming_propose(actor=ws.beishan_clerk, document=incoming, proposal="拟请党政办牵头落实")
    services.incoming_instruct(actor=ws.beishan_head, document=incoming, instruction="同意，抓紧办理")
    services.incoming_assign(actor=ws.beishan_clerk, document=incoming, department=ws.beishan_office)
    services.incoming_complete(actor=ws.beishan_clerk, document=incoming, result="已完成检查并报送")
    incoming.refresh_from_db()
    assert incoming.state == "completed" and incoming.doc_number == doc.doc_number
    services.document_file(actor=ws.scjg_clerk, document=doc)
    # the PDF is served to those who may see the document, not to others
    client = Client()
    client.force_login(ws.scjg_clerk, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("workspace:outgoing_pdf", args=[doc.pk])).content == pdf
    other = Client()
    other.force_login(ws.yiwu_staff, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(reverse("workspace:outgoing_pdf", args=[doc.pk])).status_code == 404


def test_sign_off_only_by_signatories_refused_audited(ws):
    doc = draft(ws)
    services.document_route(actor=ws.scjg_clerk, document=doc, departments=[])
    with pytest.raises(PermissionDenied) as err:
        services.document_sign(actor=ws.scjg_head, document=doc)
    assert err.value.code == WorkspaceError.NOT_SIGNATORY
    doc.refresh_from_db()
    assert (doc.state, doc.signed_by_id) == ("awaiting_signoff", None)
    event = AuditEvent.objects.filter(action="workspace.refused").latest("id")
    assert event.after["code"] == "not_signatory" and event.actor_id == ws.scjg_head.pk


def test_no_edit_after_sign_off_and_no_second_number(ws):
    doc = draft(ws)
    services.document_update(actor=ws.scjg_clerk, document=doc, title="关于开展食品安全检查的通知")
    services.document_route(actor=ws.scjg_clerk, document=doc, departments=[])
    services.document_sign(actor=ws.leader, document=doc)
    with pytest.raises(Conflict) as err:
        services.document_update(actor=ws.scjg_clerk, document=doc, body="改过的正文")
    assert err.value.code == WorkspaceError.SIGNED_OFF
    doc.refresh_from_db()
    assert "改过" not in doc.body
    services.document_number(actor=ws.scjg_clerk, document=doc)
    with pytest.raises(Conflict) as err:
        services.document_number(actor=ws.scjg_clerk, document=doc)
    assert err.value.code == WorkspaceError.ALREADY_NUMBERED
    doc.refresh_from_db()
    assert doc.serial == 1
    assert DocumentCounter.objects.get(prefix="西市监发").last == 1
    codes = list(AuditEvent.objects.filter(action="workspace.refused").values_list("after__code", flat=True))
    assert "signed_off" in codes and "already_numbered" in codes


def test_numbers_have_no_gaps_or_duplicates(ws):
    """Sequential here (SQLite serializes writers anyway); test_numbering_concurrency.py runs the
    same check with real threads on PostgreSQL."""
    docs = []
    for _i in range(5):
        doc = draft(ws)
        services.document_route(actor=ws.scjg_clerk, document=doc, departments=[])
        services.document_sign(actor=ws.leader, document=doc)
        docs.append(doc)
    for doc in reversed(docs):
        services.document_number(actor=ws.scjg_clerk, document=doc)
    serials = sorted(
        OutgoingDocument.objects.filter(pk__in=[d.pk for d in docs]).values_list("serial", flat=True)
    )
    assert serials == [1, 2, 3, 4, 5]
    assert connection.vendor in ("sqlite", "postgresql")


def test_incoming_register_needs_permission(ws):
    count = IncomingDocument.objects.count()
    with pytest.raises(PermissionDenied):
        services.incoming_register(actor=ws.scjg_head, sender="省厅", title="来文")
    assert IncomingDocument.objects.count() == count
    doc = services.incoming_register(
        actor=ws.beishan_clerk, sender="区政府办公室", title="关于报送年度总结的通知"
    )
    assert doc.state == "registered" and doc.org_unit == ws.beishan
