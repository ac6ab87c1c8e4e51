import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.errors import Conflict, NotFound, PermissionDenied
from zhengtong.core.identifiers import make_org_code, make_uscc
from zhengtong.credit import scoring, selectors, services
from zhengtong.credit.models import CreditEvent, ListEntry
from zhengtong.registry import services as registry

pytestmark = pytest.mark.django_db


@pytest.fixture
def cr(world):
    w = world
    w.officer = w.staff("credit_off", "credit_officer", w.xihu, w.xihu_scjg)
    w.company = registry.legal_entity_create(
        actor=w.system,
        org_unit=w.xihu,
        uscc=make_uscc("9", "1", "330106", make_org_code("C0000001")),
        name="信用测试有限公司",
        entity_type="有限责任公司",
        legal_representative="李四",
        registered_address="西湖区",
    )
    return w


def test_model_explains_every_point():
    score, grade, factors = scoring.evaluate(scoring.Facts(events=[("penalty", 2), ("inspection_pass", 1)]))
    assert score == 80 - 20 + 2 and grade == "C"
    assert {f["code"]: f["points"] for f in factors} == {"penalty": -20, "inspection_pass": 2}
    assert scoring.evaluate(scoring.Facts(black_listed=True))[1] == "D"


def test_black_list_drives_measures_and_needs_permission(cr):
    until = timezone.localdate() + dt.timedelta(days=365)
    with pytest.raises(PermissionDenied):
        services.list_entry_add(
            actor=cr.xihu_viewer,
            entity=cr.company,
            kind="black",
            legal_basis="x",
            reason="y",
            until=until,
            department=cr.xihu_scjg,
        )
    assert ListEntry.objects.count() == 0
    services.list_entry_add(
        actor=cr.officer,
        entity=cr.company,
        kind="black",
        legal_basis="《食品安全法》第一百三十四条",
        reason="一年内累计三次违法",
        until=until,
        department=cr.xihu_scjg,
    )
    m = selectors.measures_for(cr.company.uscc)
    assert m.black_listed and m.grade == "D" and not m.bid_eligible and m.flagged


def test_repair_after_minimum_period_stops_counting(cr):
    event = services.credit_event_record(
        actor=cr.system,
        via="test",
        entity=cr.company,
        kind="penalty",
        source_ref="penalty:test",
        summary="罚款",
        occurred_on=timezone.localdate(),
        severity=2,
    )
    assert selectors.score_of(cr.company).score == 60
    with pytest.raises(PermissionDenied):
        services.repair_submit(
            actor=cr.citizen, entity=cr.company, event=event, reason="已整改完毕并提交材料", commitment=True
        )
    CreditEvent.objects.filter(pk=event.pk).update(occurred_on=timezone.localdate() - dt.timedelta(days=200))
    event.refresh_from_db()
    services.rescore(entity_ids=[cr.company.pk])
    # may_act_for is the registry's rule; here an agent the entity authorized acts for it.
    from zhengtong.registry import selectors as registry_selectors

    monkey = registry_selectors.may_act_for
    try:
        services.registry_selectors.may_act_for = lambda user, entity, item_code=None: user == cr.citizen
        req = services.repair_submit(
            actor=cr.citizen, entity=cr.company, event=event, reason="已整改完毕并提交材料", commitment=True
        )
        with pytest.raises(Conflict):
            services.repair_submit(
                actor=cr.citizen,
                entity=cr.company,
                event=event,
                reason="已整改完毕并提交材料",
                commitment=True,
            )
    finally:
        services.registry_selectors.may_act_for = monkey
    assert req.sla_deadline is not None
    services.repair_approve(actor=cr.officer, request=req, note="材料齐全")
    assert selectors.score_of(cr.company).score == 80
    assert selectors.repaired_source_refs(["penalty:test"]) == {"penalty:test"}


def test_credit_report_is_sealed_and_verifies(cr, settings):
    from zhengtong.credit import reports
    from zhengtong.seals import selectors as seal_selectors
    from zhengtong.seals import services as seals

    dsj = cr.acc.department_create(
        actor=cr.system, org_unit=cr.province, code="dsj", name="浙江省大数据发展管理局"
    )
    settings.CREDIT_REPORT_DEPARTMENT = "330000/dsj"
    with pytest.raises(PermissionDenied):
        reports.credit_report_issue(actor=cr.citizen, entity=cr.company)
    report = reports.credit_report_issue(actor=cr.officer, entity=cr.company)
    doc = seal_selectors.document_by_code(report.seal_code)
    assert doc.department_id == dsj.pk
    pdf = reports.report_pdf(actor=cr.officer, report=report)
    assert pdf.startswith(b"%PDF") and seals.verify_document(doc, pdf).status == "valid"
    assert seals.verify_document(doc, pdf + b" ").status == "altered"
    with pytest.raises(NotFound):
        reports.report_pdf(actor=cr.citizen, report=report)
