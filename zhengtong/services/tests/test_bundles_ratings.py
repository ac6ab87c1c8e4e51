"""一件事 bundles (one form, fan-out, combined status, one bill) and 好差评 ratings."""

from __future__ import annotations

import pytest

from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.services import selectors, services
from zhengtong.services.models import Bundle, Case, Rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant(svc):
    from zhengtong.services import demo

    demo.publish_bundles(svc.world.xihu)
    return Bundle.objects.get(code="restaurant")


def test_bundle_asks_shared_fields_once_and_fans_out(svc, restaurant):
    shared, own = services.bundle_schema(restaurant)
    assert "premises" in shared["properties"] and "uscc" in shared["properties"]
    assert all("premises" not in mine["properties"] for _i, mine in own)
    # Only the parts whose departments exist in this county are published in the test world.
    parts = [i.code for i, _m in own]
    assert "ZJ-SCJG-003" in parts and "ZJ-SCJG-002" in parts
    with pytest.raises(ValidationError) as exc:
        services.bundle_submit(actor=svc.agent, bundle=restaurant, raw={})
    assert "premises" in exc.value.fields  # the shared field is reported once, unprefixed
    assert "ZJ-SCJG-002.food_categories" in exc.value.fields
    assert not Case.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    app = services.bundle_submit(
        actor=svc.agent,
        bundle=restaurant,
        raw={
            "premises": "西湖区文三路200号",
            "ZJ-SCJG-003.business_scope": "餐饮服务",
            "ZJ-SCJG-002.food_categories": "热食类",
            "ZJ-SCJG-002.area_sqm": "60",
        },
        files={"material_layout": SimpleUploadedFile("p.pdf", b"%PDF")},
    )
    cases = list(app.cases.order_by("id"))
    assert len(cases) == len(parts)
    assert {c.data["premises"] for c in cases} == {"西湖区文三路200号"}
    assert all(c.bundle_application_id == app.pk for c in cases)


def test_combined_status_constant_queries_and_failed_parts(svc, restaurant, django_assert_max_num_queries):
    from django.core.files.uploadedfile import SimpleUploadedFile

    app = services.bundle_submit(
        actor=svc.agent,
        bundle=restaurant,
        raw={
            "premises": "西湖区文三路200号",
            "ZJ-SCJG-003.business_scope": "餐饮服务",
            "ZJ-SCJG-002.food_categories": "热食类",
            "ZJ-SCJG-002.area_sqm": "60",
        },
        files={"material_layout": SimpleUploadedFile("p.pdf", b"%PDF")},
    )
    with django_assert_max_num_queries(2):
        status = selectors.bundle_status(svc.agent, app.pk)
        [c.item.name for c in status.parts]
    assert status.overall == "in_progress"
    first, *rest = list(app.cases.order_by("id"))
    services.case_refuse(actor=svc.counter, case=first, note="名称不符合规定")
    for c in rest:
        services.case_accept(actor=svc.counter, case=c)
        while c.state == "accepted":
            for r in (svc.reviewer, svc.reviewer2, svc.reviewer3):
                c.refresh_from_db()
                if c.state != "accepted":
                    break
                try:
                    services.case_approve(actor=r, case=c)
                except Conflict:
                    continue
    status = selectors.bundle_status(svc.agent, app.pk)
    assert status.overall == "failed"
    assert [c.pk for c in status.failed] == [first.pk]
    with pytest.raises(Exception):  # noqa: B017 - another applicant: not found
        selectors.bundle_status(svc.citizen, app.pk)


def test_bundle_fees_merge_into_one_bill(svc, restaurant):
    from zhengtong.payments.services import bill_for
    from zhengtong.services.tests.conftest import pay_bill

    restaurant.items.add(svc.items["ZJ-SCJG-001"])  # a part with a fee, for the test
    with pytest.raises(ValidationError):
        services.bundle_submit(actor=svc.agent, bundle=restaurant, raw={})
    restaurant.items.set([svc.items["ZJ-SCJG-001"], svc.items["ZJ-GAJ-001"]])
    app = services.bundle_submit(
        actor=svc.citizen,
        bundle=restaurant,
        raw={
            "ZJ-SCJG-001.category": "N1",
            "ZJ-SCJG-001.training_org": "培训中心",
            "ZJ-GAJ-001.reason": "有效期满",
        },
    )
    bill = bill_for(f"bundle:{app.pk}")
    assert bill.total_fen == 5000 + 2000 == app.fee_fen
    assert bill_for(f"case:{app.cases.first().pk}") is None
    pay_bill(bill, svc.citizen)
    app.refresh_from_db()
    assert app.paid and all(c.paid_at for c in app.cases.all())


def _completed_case(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    services.case_accept(actor=svc.counter, case=case)
    services.case_approve(actor=svc.reviewer, case=case)
    case.refresh_from_db()
    return case


def test_rating_rules(svc):
    case = services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )
    with pytest.raises(Conflict):
        services.rating_submit(actor=svc.citizen, case=case, score=5)
    case = _completed_case(svc)
    with pytest.raises(PermissionDenied):
        services.rating_submit(actor=svc.other_citizen, case=case, score=5)
    with pytest.raises(ValidationError):
        services.rating_submit(actor=svc.citizen, case=case, score=6)
    with pytest.raises(ValidationError):
        services.rating_submit(actor=svc.citizen, case=case, score=5, sub_scores={"mood": 3})
    with pytest.raises(ValidationError):
        services.rating_submit(actor=svc.citizen, case=case, score=1, reasons=["slow"])  # needs a comment
    with pytest.raises(ValidationError):
        services.rating_submit(actor=svc.citizen, case=case, score=1, comment="慢")  # needs a reason
    rating = services.rating_submit(actor=svc.citizen, case=case, score=4, sub_scores={"efficiency": 5})
    assert rating.state == "recorded" and rating.work_order_id is None
    with pytest.raises(Conflict):
        services.rating_submit(actor=svc.citizen, case=case, score=5)


def test_bad_rating_opens_rectification_and_appeal(svc):
    from zhengtong.workorders.hooks import run_closed
    from zhengtong.workorders.models import WorkOrder

    case = _completed_case(svc)
    rating = services.rating_submit(
        actor=svc.citizen, case=case, score=1, comment="窗口态度差,等了很久", reasons=["attitude", "slow"]
    )
    assert rating.state == "rectifying"
    wo = WorkOrder.objects.get(pk=rating.work_order_id)
    assert wo.kind == "rectification" and wo.source_ref == f"rating:{rating.pk}"
    assert wo.department_id == case.department_id
    wo.reply = "已约谈窗口人员并整改,已电话回访。"
    wo.satisfaction = 2
    run_closed(wo)
    rating.refresh_from_db()
    assert rating.state == "rectified" and "整改" in rating.rectification_result
    assert rating.callback_satisfaction == 2
    with pytest.raises(PermissionDenied):
        services.rating_verdict(actor=svc.other_citizen, rating=rating, satisfied=False, note="x")
    services.rating_verdict(actor=svc.citizen, rating=rating, satisfied=False, note="并未回访")
    with pytest.raises(PermissionDenied):
        services.rating_appeal_revise(actor=svc.counter, rating=rating, note="x")
    rating.refresh_from_db()
    assert rating.state == "appealed"
    services.rating_appeal_revise(actor=svc.supervisor, rating=rating, note="核实未回访,重新整改")
    rating.refresh_from_db()
    assert rating.state == "revised"
    stats = selectors.rating_stats()
    assert stats["departments"][0]["count"] == 1 and stats["departments"][0]["bad"] == 1
    assert Rating.objects.count() == 1
