"""Roles and scopes: staff of another department or county can neither see nor act; citizens see
only their own cases. Every refusal leaves the case unchanged."""

from __future__ import annotations

import pytest

from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.services import selectors, services
from zhengtong.services.models import Case

pytestmark = pytest.mark.django_db


def _case(svc):
    return services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )


def _snapshot(case):
    row = Case.objects.get(pk=case.pk)
    return (row.state, row.version, row.step_index, row.sla_state, row.opinions.count())


@pytest.mark.parametrize("who", ["yiwu_counter", "gaj_counter", "reviewer", "supervisor"])
def test_who_may_not_accept(svc, who):
    case = _case(svc)
    before = _snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=getattr(svc, who), case=case)
    assert _snapshot(case) == before


@pytest.mark.parametrize("who", ["yiwu_reviewer", "counter", "gaj_counter", "supervisor"])
def test_who_may_not_review(svc, who):
    case = _case(svc)
    services.case_accept(actor=svc.counter, case=case)
    before = _snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_approve(actor=getattr(svc, who), case=case)
    assert _snapshot(case) == before


@pytest.mark.parametrize("who", ["yiwu_counter", "yiwu_reviewer", "gaj_counter"])
def test_other_department_or_county_cannot_see(svc, who):
    case = _case(svc)
    actor = getattr(svc, who)
    assert not selectors.worklist(actor, view="open").filter(pk=case.pk).exists()
    assert selectors.worklist_counts(actor)["open"] == 0
    with pytest.raises(NotFound):
        selectors.case_for_staff(actor, case.pk)


@pytest.mark.parametrize("who", ["counter", "reviewer", "supervisor"])
def test_own_scope_sees(svc, who):
    case = _case(svc)
    actor = getattr(svc, who)
    assert selectors.case_for_staff(actor, case.pk) == case
    assert selectors.worklist_counts(actor)["to_accept"] == 1


def test_yiwu_staff_see_only_yiwu(svc):
    xihu_case = _case(svc)
    yiwu_case = services.case_submit(actor=svc.citizen, item=svc.yiwu_item, raw={"shop_name": "义乌小店"})
    seen = set(selectors.worklist(svc.yiwu_counter).values_list("pk", flat=True))
    assert seen == {yiwu_case.pk}
    assert xihu_case.pk not in set(selectors.worklist(svc.yiwu_reviewer).values_list("pk", flat=True))


def test_citizens_see_only_their_own(svc):
    case = _case(svc)
    assert list(selectors.my_cases(svc.other_citizen)) == []
    with pytest.raises(NotFound):
        selectors.case_for_applicant(svc.other_citizen, case.pk)
    before = _snapshot(case)
    with pytest.raises(PermissionDenied):
        services.case_resubmit(actor=svc.other_citizen, case=case, raw={})
    with pytest.raises(PermissionDenied):
        services.case_withdraw(actor=svc.other_citizen, case=case)
    assert _snapshot(case) == before
    # Citizens hold no staff permission at all.
    assert list(selectors.worklist(svc.citizen)) == []


def test_staff_do_not_apply(svc):
    with pytest.raises(PermissionDenied):
        services.case_submit(actor=svc.counter, item=svc.items["ZJ-SCJG-004"], raw={})
    assert not Case.objects.exists()


def test_catalogue_publishing_needs_the_permission(svc):
    from zhengtong.services import demo

    with pytest.raises(PermissionDenied):
        services.item_publish(
            actor=svc.counter,
            code="X-1",
            name="x",
            kind="public",
            department=svc.world.xihu_scjg,
            form_schema=demo.schema({}),
            statutory_days=1,
            promised_days=1,
        )
    # A 义乌 supervisor's grant does not reach 西湖区.
    yiwu_sup = svc.world.staff("yiwu_sup", "supervisor", svc.world.yiwu)
    with pytest.raises(PermissionDenied):
        services.item_publish(
            actor=yiwu_sup,
            code="X-2",
            name="x",
            kind="public",
            department=svc.world.xihu_scjg,
            form_schema=demo.schema({}),
            statutory_days=1,
            promised_days=1,
        )
    assert not svc.ServiceItem.objects.filter(code__in=["X-1", "X-2"]).exists()


def test_bad_rules_are_field_errors(svc):
    from zhengtong.core.errors import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.item_publish(
            actor=svc.world.system,
            code="X-3",
            name="x",
            kind="public",
            department=svc.world.xihu_scjg,
            form_schema={"type": "nonsense"},
            statutory_days=5,
            promised_days=9,
            visits=0,
            materials=[{"code": "a", "name": "b", "source": "telepathy"}],
            review_steps=[{"name": "x", "mode": "majority"}],
        )
    fields = exc.value.fields
    assert {"form_schema", "promised_days", "materials.0.source", "review_steps.0.mode"} <= set(fields)


def test_item_cache_sees_a_new_version_in_this_process_at_once(svc):
    from zhengtong.services import demo, selectors

    item = svc.yiwu_item
    first = selectors.item_get(item.pk)
    assert first.current_version.promised_days == 1
    first.current_version.promised_days = 99  # a caller's change stays in its copy
    assert selectors.item_get(item.pk).current_version.promised_days == 1
    services.item_publish(
        actor=svc.world.system,
        code="YW-SCJG-004",
        name="个体工商户注册登记(义乌)",
        kind="licensing",
        department=svc.world.yiwu_scjg,
        materials=[],
        form_schema=demo.schema(
            {"shop_name": demo._f("字号名称", "Trade name", maxLength=60)}, ["shop_name"]
        ),
        statutory_days=15,
        promised_days=3,
        review_steps=demo.SINGLE,
    )
    again = selectors.item_get(item.pk)
    assert again.current_version.promised_days == 3
    assert again.current_version.number == first.current_version.number + 1
