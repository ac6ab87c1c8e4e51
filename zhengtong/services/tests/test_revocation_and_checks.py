"""告知承诺制, the rest of issue 19 item 2: a false commitment found after the decision issues a
sealed 撤销行政许可决定书 (legal basis, rights to 复议 and 诉讼), and an overdue 核查 task is
escalated through the SLA scan to the nearest supervisors (督办), like an overdue case."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from zhengtong.audit.models import AuditEvent
from zhengtong.core import outbox
from zhengtong.core.errors import PermissionDenied
from zhengtong.seals import services as seals
from zhengtong.services import notices, services
from zhengtong.services.models import CommitmentCheck
from zhengtong.services.tests.test_onestop import _counts, _decide, _file, one  # noqa: F401

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return (
        "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
        .replace("\n", "")
        .replace(" ", "")
    )


def test_false_commitment_after_decision_issues_a_sealed_revocation_notice(one):  # noqa: F811
    case = _decide(one, _file(one))
    check = case.commitment_check
    outbox.deliver_pending(topic=notices.TOPIC)
    kinds_before = [d.kind for d in notices.case_notices(case)]
    # A refused finding issues nothing.
    with pytest.raises(PermissionDenied):
        services.check_find_false(actor=one.counter, case=case, note="x", materials=["health"])
    outbox.deliver_pending(topic=notices.TOPIC)
    assert [d.kind for d in notices.case_notices(case)] == kinds_before
    services.check_find_false(
        actor=one.reviewer,
        case=case,
        note="健康证明系伪造",
        materials=["health"],
        expected_version=check.version,
    )
    with translation.override("zh-hans"):
        outbox.deliver_pending(topic=notices.TOPIC)
    docs = notices.case_notices(case)
    assert [d.kind for d in docs] == [*kinds_before, "services.revocation"]
    document, pdf = notices.case_notice_pdf(case, docs[-1].code)
    assert seals.verify_document(document).valid and document.department_id == case.department_id
    text = _text(pdf)
    assert "撤销行政许可决定书" in text
    assert "健康证明系伪造" in text
    assert "第六十九条" in text or "69" in text
    assert "行政复议" in text and "行政诉讼" in text


def test_false_commitment_before_decision_issues_no_revocation_notice(one):  # noqa: F811
    case = _file(one)
    services.case_accept(actor=one.counter, case=case)
    services.check_find_false(actor=one.reviewer, case=case, note="核查不实", materials=["health"])
    outbox.deliver_pending(topic=notices.TOPIC)
    assert "services.revocation" not in [d.kind for d in notices.case_notices(case)]


@pytest.fixture
def only_checks_scanned(monkeypatch):
    from zhengtong.core import sla

    clock = sla.CLOCKS.get("services.commitmentcheck")
    assert clock.on_overdue is services.on_check_overdue and clock.overdue_stamp == "escalated_at"
    monkeypatch.setattr(sla.CLOCKS, "items", lambda: [clock])


def test_overdue_check_is_escalated_once_to_the_supervisor(one, only_checks_scanned):  # noqa: F811
    from zhengtong.core import sla
    from zhengtong.notify.models import Message

    case = _decide(one, _file(one))
    check = case.commitment_check
    sla.sla_scan()  # on time: nothing happens
    check.refresh_from_db()
    assert check.escalated_at is None
    assert not Message.objects.filter(event="services.commitment_check.overdue").exists()
    past = dt.date.today() - dt.timedelta(days=3)
    CommitmentCheck.objects.filter(pk=check.pk).update(
        sla_deadline=past, sla_due_soon_on=past, sla_state="on_time"
    )
    report = sla.sla_scan()
    check.refresh_from_db()
    assert report["services.commitmentcheck"]["overdue"] == 1
    assert check.sla_state == "overdue" and check.escalated_at is not None
    sent = Message.objects.filter(recipient=one.supervisor, event="services.commitment_check.overdue")
    assert sent.count() == 1 and case.number in sent.get().title
    event = AuditEvent.objects.get(action="services.commitment_check.escalate")
    assert event.after["cases"] == [case.number] and event.via == "services"
    sla.sla_scan()  # nothing newly overdue: no second message
    assert sent.count() == 1
    assert AuditEvent.objects.filter(action="services.commitment_check.escalate").count() == 1
