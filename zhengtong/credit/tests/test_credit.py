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


def test_bulk_rescore_equals_per_entity(cr):
    """The set-based re-scoring (``credit.bulk``) gives every entity exactly the score, grade and
    per-factor explanation of the per-entity scorer, on generated data covering every factor;
    only changed grades fire ``credit.grades_changed``."""
    import random

    from django.db import connection

    from zhengtong.credit import bulk
    from zhengtong.credit.hooks import GRADES_CHANGED
    from zhengtong.credit.models import CreditScore
    from zhengtong.registry.models import LegalEntity, Licence, LicenceType

    rng = random.Random(14)
    today = timezone.localdate()
    entities = LegalEntity.objects.bulk_create(
        LegalEntity(
            uscc=f"9133010600000{i:04d}X",
            name=f"批量{i}",
            entity_type="有限责任公司",
            legal_representative="王五",
            registered_address="西湖区",
            region_code="330106001",
            status="active" if i % 17 else "revoked",
            org_unit=cr.xihu,
        )
        for i in range(240)
    )
    if entities[0].pk is None:
        entities = list(LegalEntity.objects.filter(name__startswith="批量").order_by("id"))
    kinds = ["penalty", "inspection_pass", "inspection_fail", "complaint", "arrears", "commendation"]
    events = []
    for e in entities:
        for k in range(rng.choice([0, 0, 1, 2, 4, 7])):
            events.append(
                CreditEvent(
                    entity=e,
                    kind=rng.choice(kinds),
                    severity=rng.randint(1, 3),
                    source_ref=f"bulk:{e.pk}:{k}",
                    summary="生成",
                    occurred_on=today - dt.timedelta(days=rng.choice([1, 30, 400, 2000])),
                    repaired_at=timezone.now() if rng.random() < 0.1 else None,
                    org_unit=cr.xihu,
                )
            )
    CreditEvent.objects.bulk_create(events)
    lt = LicenceType.objects.create(code="bulk_lt", name="食品经营许可证", holder_kind="entity")
    Licence.objects.bulk_create(
        Licence(
            licence_type=lt,
            number=f"BL{e.pk}-{k}",
            holder_entity=e,
            issuing_department=cr.xihu_scjg,
            org_unit=cr.xihu,
            valid_from=today,
            state=rng.choice(["valid", "suspended", "revoked"]),
        )
        for e in entities[::3]
        for k in range(rng.randint(1, 4))
    )
    for i, e in enumerate(entities[::11]):
        ListEntry.objects.create(
            entity=e,
            kind="black" if i % 2 else "red",
            legal_basis="依据",
            reason="生成",
            listed_on=today - dt.timedelta(days=3),
            until=today + dt.timedelta(days=30 if i % 3 else -1),
            org_unit=cr.xihu,
            department=cr.xihu_scjg,
            created_by=cr.officer,
        )
    ids = [e.pk for e in entities]
    expected = {pk: scoring.evaluate(f) for pk, f in services._facts_for(ids).items()}
    # The vectorised model alone (any database).
    population = LegalEntity.objects.filter(pk__in=ids)
    arr, inactive = bulk._population(population)
    licences, lists = bulk._run_facts(today)
    since = today - dt.timedelta(days=365 * 3)
    scores, grades, factors = bulk.evaluate_chunk(arr, inactive, since=since, licences=licences, lists=lists)
    import json

    got = {
        pk: (s, g, json.loads(f))
        for pk, s, g, f in zip(arr.tolist(), scores.tolist(), grades.tolist(), factors, strict=True)
    }
    assert got == {pk: (s, g, f) for pk, (s, g, f) in expected.items()}
    assert {g for _s, g, _f in got.values()} == {"A", "B", "C", "D"}
    # Stored, with the grade-change hook (PostgreSQL: COPY and one diff; SQLite: per entity).
    CreditScore.objects.filter(entity_id__in=ids[:50]).delete()
    services.rescore(entity_ids=ids[:50])
    CreditScore.objects.filter(entity_id=ids[0]).update(grade="A" if expected[ids[0]][1] != "A" else "B")
    seen = []

    def receiver(*, changes):
        seen.extend(changes)

    GRADES_CHANGED.connect(receiver)
    try:
        result = bulk.rescore_population(population, chunk=100)
    finally:
        GRADES_CHANGED.disconnect(receiver)
    stored = {
        r.entity_id: (r.score, r.grade, r.factors) for r in CreditScore.objects.filter(entity_id__in=ids)
    }
    assert stored == {pk: (s, g, f) for pk, (s, g, f) in expected.items()}
    changed = {pk for pk, _old, _new in seen}
    assert ids[0] in changed and not changed & set(ids[1:50])
    assert set(ids[50:]) <= changed  # new scores count as changes (no grade before)
    assert result["entities"] == len(ids)
    if connection.vendor == "postgresql":
        assert result["written"] == len(ids) - 49  # unchanged scores are not rewritten
