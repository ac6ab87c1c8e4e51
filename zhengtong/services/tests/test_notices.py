"""Notices with legal effect (issue 19 item 5, first part): each counter and decision step seals a
GB/T 9704 notice after commit; refusals state the rights to 复议 and 诉讼; the §32 five-day limit
for a correction request; who may read the PDFs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone, translation
from pypdf import PdfReader

from zhengtong.core import outbox
from zhengtong.core.errors import CoreError, ValidationError
from zhengtong.core.workflow import TimelineEntry
from zhengtong.seals import services as seals
from zhengtong.services import notices, services
from zhengtong.services.models import Case

pytestmark = pytest.mark.django_db


def _submit(svc):
    return services.case_submit(
        actor=svc.citizen,
        item=svc.items["ZJ-SCJG-004"],
        raw={"shop_name": "张记小吃", "premises": "西湖区文三路18号"},
    )


def _issued(case):
    outbox.deliver_pending(topic=notices.TOPIC)
    return notices.case_notices(case)


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


def test_acceptance_and_grant_notices_are_sealed_and_verify(svc):
    case = _submit(svc)
    assert _issued(case) == []  # submission itself issues no notice
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    with translation.override("zh-hans"):
        docs = _issued(case)
    assert [d.kind for d in docs] == ["services.acceptance", "services.grant"]
    for d in docs:
        document, pdf = notices.case_notice_pdf(case, d.code)
        assert pdf.startswith(b"%PDF-") and seals.verify_document(document).valid
        assert document.department_id == case.department_id
    # At-least-once delivery: handling the same message again issues nothing new.
    notices.notice_issue(
        {"case": case.pk, "action": "accept", "version": docs[0].reference.rsplit(":", 1)[1]}
    )
    assert len(notices.case_notices(case)) == 2


def test_refusal_states_the_reason_the_legal_basis_and_the_rights(svc):
    case = _submit(svc)
    services.case_refuse(actor=svc.counter, case=case, note="不属于本机关职权范围")
    with translation.override("zh-hans"):
        (doc,) = _issued(case)
        _document, pdf = notices.case_notice_pdf(case, doc.code)
    text = _text(pdf)
    assert doc.kind == "services.refusal"
    assert "不属于本机关职权范围" in text and case.number in text
    assert "行政复议" in text and "六十日" in text and "行政诉讼" in text and "六个月" in text


def test_correction_notice_lists_every_item(svc):
    case = _submit(svc)
    services.case_request_correction(
        actor=svc.counter, case=case, note="缺件", items=["经营场所证明", "照片"]
    )
    with translation.override("zh-hans"):
        (doc,) = _issued(case)
        _document, pdf = notices.case_notice_pdf(case, doc.code)
    text = _text(pdf)
    assert "1. 经营场所证明" in text and "2. 照片" in text


def test_a_rolled_back_transition_leaves_no_notice(svc):
    case = _submit(svc)
    with pytest.raises(ValidationError):
        services.case_request_correction(actor=svc.counter, case=case, note="缺件", items=[])
    assert _issued(case) == []


def test_correction_after_five_working_days_is_refused(svc):
    case = _submit(svc)
    TimelineEntry.objects.filter(object_type="services.case", object_id=str(case.pk)).update(
        at=timezone.now() - dt.timedelta(days=10)
    )
    with pytest.raises(ValidationError) as exc:
        services.case_request_correction(actor=svc.counter, case=case, note="缺件", items=["照片"])
    assert exc.value.code == CoreError.GUARD_FAILED
    case.refresh_from_db()
    assert case.state == "submitted" and case.correction_items == []
    services.case_accept(actor=svc.counter, case=case)  # it can still be accepted


def test_who_may_read_a_notice(svc, client, world):
    case = _submit(svc)
    services.case_accept(actor=svc.counter, case=case)
    (doc,) = _issued(case)
    url = f"/services/cases/{case.pk}/notices/{doc.code}.pdf"
    assert client.get(url).status_code in (302, 401)  # anonymous: sign in first
    client.force_login(svc.other_citizen)
    assert client.get(url).status_code == 404
    client.force_login(svc.yiwu_counter)
    assert client.get(url).status_code in (403, 404)
    client.force_login(svc.counter)
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    client.force_login(svc.citizen)
    assert client.get(url).status_code == 200
    assert client.get(f"/services/cases/{case.pk}/notices/NOPE.pdf").status_code == 404
    page = client.get(f"/services/my/{case.pk}/")
    assert doc.code in page.content.decode()
    assert Case.objects.get(pk=case.pk).state == "accepted"
