"""免申即享 and 政策找人 (issue 19 item 4): registry scans propose a benefit to everyone its rule
entitles; the citizen's confirmation grants it at once without a person."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import transaction

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.workflow import TimelineEntry
from zhengtong.notify.models import Message
from zhengtong.registry import selectors as registry_selectors
from zhengtong.services import demo_autodecide, services
from zhengtong.services.models import Benefit, Case, Entitlement
from zhengtong.services.services import eligibility

pytestmark = pytest.mark.django_db

OVER_30 = {"logic": demo_autodecide._age_at_least(30), "explain": "年满30周岁", "explain_en": "30 or older"}


def _benefit(svc, rule=OVER_30, code="B-30"):
    item = services.item_publish(
        actor=svc.world.system,
        code="T-BENEFIT",
        name="测试津贴",
        kind="benefit",
        department=svc.world.xihu_scjg,
        materials=[demo_autodecide.HUKOU],
        form_schema={"type": "object", "properties": demo_autodecide.PERSON, "required": []},
        statutory_days=5,
        promised_days=1,
        review_steps=[{"name": "审核", "mode": "single"}],
    )
    return eligibility.benefit_publish(
        actor=svc.world.system, code=code, name="测试津贴", item=item, holder_kind="person", rule=rule
    )


def test_the_scan_proposes_to_every_entitled_person_once(svc, world):
    # persons of the fixture: 张三 1985, 李四 1990, 王五 1988; two more here
    world.person(world.village, name="赵六", seq=41, birth=dt.date(2000, 1, 1))
    world.person(world.village, name="钱七", seq=43, birth=dt.date(1940, 1, 1))
    benefit = _benefit(svc)
    result = eligibility.eligibility_scan(benefit=benefit)
    assert (result["scanned"], result["eligible"], result["proposed"]) == (5, 4, 4)
    assert result["told"] == 3  # the three with verified accounts
    assert Message.objects.filter(event="services.benefit.proposed").count() == 3
    assert Entitlement.objects.filter(benefit=benefit, state="proposed", rule_number=1).count() == 4
    again = eligibility.eligibility_scan(benefit=benefit)
    assert (again["eligible"], again["proposed"]) == (4, 0)
    event = AuditEvent.objects.filter(action="services.benefit.scan").order_by("id").first()
    assert (event.actor_id, event.via, event.after["proposed"]) == (None, "services", 4)


def test_two_scans_in_one_transaction_both_propose(svc, world):
    # The demo's seed scans two benefits in one transaction: on PostgreSQL the first scan's temporary
    # table must not be left behind for the second (it failed with "relation already exists").
    first = _benefit(svc)
    second = _benefit(svc, rule=OVER_30, code="B-30-BIS")
    with transaction.atomic():
        one = eligibility.eligibility_scan(benefit=first)
        two = eligibility.eligibility_scan(benefit=second)
    assert (one["proposed"], two["proposed"]) == (3, 3)
    assert Entitlement.objects.filter(benefit=second, state="proposed").count() == 3


def test_the_vectorised_scan_and_the_interpreter_agree(svc, world):
    for i in range(30):
        world.person(
            world.village, name="测", seq=101 + 2 * i, birth=dt.date(1930 + 3 * i, 1 + i % 12, 1 + i % 28)
        )
    benefit = _benefit(svc)
    ids, columns = eligibility._load(benefit, "")
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    compiled = eligibility.eligible_mask(benefit, columns, len(ids), now)
    constants = eligibility._constants(now)
    from zhengtong.codes import certlogic

    interpreted = np.array(
        [
            certlogic.evaluate_rule(benefit.rule["logic"], eligibility._row_context(columns, i, constants))[0]
            for i in range(len(ids))
        ]
    )
    assert compiled.tolist() == interpreted.tolist()
    assert 0 < int(compiled.sum()) < len(ids)


def test_confirmation_grants_at_once_without_a_person(svc):
    benefit = _benefit(svc)
    eligibility.eligibility_scan(benefit=benefit)
    mine = eligibility.entitlements_of(svc.citizen).get()
    granted = eligibility.entitlement_confirm(actor=svc.citizen, entitlement_id=mine.pk)
    assert granted.state == "granted"
    case = Case.objects.get(pk=granted.case_id)
    assert (case.state, case.applicant_id, case.item.code) == ("completed", svc.citizen.pk, "T-BENEFIT")
    last = (
        TimelineEntry.objects.filter(object_type="services.case", object_id=str(case.pk))
        .order_by("-id")
        .first()
    )
    assert (last.transition, last.actor_id, last.data["rules"]) == ("decide_auto", None, "benefit:B-30:1")
    with pytest.raises(Conflict):
        eligibility.entitlement_confirm(actor=svc.citizen, entitlement_id=mine.pk)
    assert Case.objects.count() == 1


def test_nobody_else_confirms_and_nothing_changes(svc):
    benefit = _benefit(svc)
    eligibility.eligibility_scan(benefit=benefit)
    mine = eligibility.entitlements_of(svc.citizen).get()
    for intruder in (svc.other_citizen, svc.counter, svc.supervisor):
        with pytest.raises(NotFound):
            eligibility.entitlement_confirm(actor=intruder, entitlement_id=mine.pk)
    mine.refresh_from_db()
    assert (mine.state, mine.case_id, Case.objects.count()) == ("proposed", None, 0)


def test_no_longer_entitled_is_refused_and_nothing_changes(svc):
    benefit = _benefit(svc)
    eligibility.eligibility_scan(benefit=benefit)
    mine = eligibility.entitlements_of(svc.citizen).get()
    eligibility.benefit_publish(
        actor=svc.world.system,
        code="B-30",
        name="测试津贴",
        item=benefit.item,
        holder_kind="person",
        rule={"logic": demo_autodecide._age_at_least(90), "explain": "年满90周岁"},
    )
    assert Benefit.objects.get(code="B-30").number == 2
    with pytest.raises(ValidationError) as exc:
        eligibility.entitlement_confirm(actor=svc.citizen, entitlement_id=mine.pk)
    assert list(exc.value.fields) == ["entitlement"]
    mine.refresh_from_db()
    assert (mine.state, Case.objects.count()) == ("proposed", 0)


def test_decline_and_permissions_of_the_scan(svc):
    benefit = _benefit(svc)
    with pytest.raises(PermissionDenied):
        eligibility.eligibility_scan(benefit=benefit, actor=svc.counter)
    assert Entitlement.objects.count() == 0
    eligibility.eligibility_scan(benefit=benefit, actor=svc.supervisor)
    mine = eligibility.entitlements_of(svc.citizen).get()
    assert eligibility.entitlement_decline(actor=svc.citizen, entitlement_id=mine.pk).state == "declined"
    assert eligibility.eligibility_scan(benefit=benefit)["proposed"] == 0  # never proposed again


def test_benefit_rules_read_only_what_the_scan_holds(svc):
    with pytest.raises(ValidationError) as exc:
        _benefit(svc, rule={"logic": {"var": "person.income"}, "explain": "收入"})
    assert list(exc.value.fields) == ["rule.logic"]
    assert Benefit.objects.count() == 0


def test_entity_benefits_scan_the_legal_entity_registry(svc):
    item = services.item_publish(
        actor=svc.world.system,
        code="T-FIRM",
        name="补贴",
        kind="benefit",
        department=svc.world.xihu_scjg,
        materials=[demo_autodecide.ENTITY_REC],
        form_schema={"type": "object", "properties": demo_autodecide.ENTITY, "required": []},
        statutory_days=5,
        promised_days=1,
    )
    benefit = eligibility.benefit_publish(
        actor=svc.world.system,
        code="FIRM",
        name="补贴",
        item=item,
        holder_kind="entity",
        rule={"logic": {"===": [{"var": "entity.region"}, "330106"]}, "explain": "西湖区企业"},
    )
    assert eligibility.eligibility_scan(benefit=benefit)["proposed"] == 1
    mine = eligibility.entitlements_of(svc.agent).get()
    assert mine.entity_id == svc.entity.pk
    granted = eligibility.entitlement_confirm(actor=svc.agent, entitlement_id=mine.pk)
    assert Case.objects.get(pk=granted.case_id).state == "completed"


def test_copy_loader_reads_the_same_columns_as_the_stream(svc, world):
    """On PostgreSQL the scan reads its columns with COPY and Arrow; they are the streamed ones."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    for i in range(12):
        world.person(
            world.village, name="测", seq=301 + 2 * i, birth=dt.date(1930 + 5 * i, 1 + i % 12, 1 + i % 28)
        )
    benefit = _benefit(svc)
    ids, columns = eligibility._load_copy(benefit, "")
    order = np.argsort(ids)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    mask = eligibility.eligible_mask(benefit, columns, len(ids), now)
    streamed = {pk: birth for pk, birth, _s, _r in registry_selectors.person_scan_rows()}
    assert sorted(streamed) == ids[order].tolist()
    days = columns["person.birth_date"].values // eligibility._DAY_MS
    for pk, d in zip(ids.tolist(), days.tolist(), strict=True):
        assert dt.date(1970, 1, 1) + dt.timedelta(days=d) == streamed[pk]
    constants = eligibility._constants(now)
    from zhengtong.codes import certlogic

    interpreted = [
        certlogic.evaluate_rule(benefit.rule["logic"], eligibility._row_context(columns, i, constants))[0]
        for i in range(len(ids))
    ]
    assert mask.tolist() == interpreted and any(interpreted)
