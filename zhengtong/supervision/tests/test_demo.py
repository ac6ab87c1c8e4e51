"""The credit and supervision demos run on the demo county and are idempotent."""

import pytest

pytestmark = pytest.mark.django_db


def test_demos_are_idempotent(world, tmp_path, settings):
    from zhengtong.credit import demo as credit_demo
    from zhengtong.credit.models import CreditEvent, CreditScore
    from zhengtong.supervision import demo as supervision_demo
    from zhengtong.supervision.models import Inspection, InspectionPlan, Platform

    settings.VAR_DIR = tmp_path
    world.acc.department_create(
        actor=world.system, org_unit=world.xihu, code="wjw", name="西湖区卫生健康委员会"
    )
    first = {**credit_demo.seed(), **supervision_demo.seed()}
    assert CreditScore.objects.count() >= 1500  # the extra 西湖区 entities, scored
    assert CreditEvent.objects.filter(source_ref__startswith="demo:").exists()
    plan = InspectionPlan.objects.get()
    assert plan.state == "drawn" and plan.joint_departments.count() == 1
    assert Inspection.objects.filter(state="recorded").exists()
    assert Platform.objects.count() == 1
    events = CreditEvent.objects.count()
    second = {**credit_demo.seed(), **supervision_demo.seed()}
    # credit counts its events before supervision's demo records inspections and penalties
    first.pop("credit_events"), second.pop("credit_events")
    assert first == second and CreditEvent.objects.count() == events
