"""The services module's materials check reads the population registry through a grant:
verification, in the exchange log with the case number."""

from __future__ import annotations

import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.services import services as svc_services
from zhengtong.services.tests.conftest import Svc
from zhengtong.sharing import services
from zhengtong.sharing.models import Exchange
from zhengtong.sharing.tests.conftest import Shr


@pytest.fixture
def both(world):
    svc = Svc(world)
    shr = Shr.__new__(Shr)
    shr.world = world
    shr.owner = world.staff("sh_owner", "sharing_admin", world.xihu, world.xihu_gaj)
    shr.officer = world.staff("sh_officer", "data_officer", world.xihu)
    shr.consumer = world.staff("sh_consumer", "counter_staff", world.xihu, world.xihu_scjg)
    shr.profile = services.profile_set(
        actor=shr.owner,
        registry="person",
        org_unit=world.xihu,
        department=world.xihu_gaj,
        sharing_type="conditional",
        fields={},
    )
    return svc, shr


def submit(svc):
    return svc_services.case_submit(
        actor=svc.citizen, item=svc.items["ZJ-SCJG-004"], raw={"shop_name": "张记", "premises": "文三路1号"}
    )


def test_materials_check_goes_through_the_grant_with_the_case_number(both):
    svc, shr = both
    grant, _ = shr.grant()
    case = submit(svc)
    exchange = Exchange.objects.get(on_behalf_of=case.number)
    assert exchange.grant_id == grant.pk and exchange.outcome == "ok" and exchange.mode == "verification"
    assert case.materials["hukou"]["exchange"] == str(exchange.receipt_id)
    assert case.materials["hukou"]["by"] == "population"


def test_without_a_grant_the_old_path_stays_unless_required(both, settings):
    svc, _shr = both
    count = Exchange.objects.count()
    case = submit(svc)
    assert "exchange" not in case.materials["hukou"] and Exchange.objects.count() == count
    settings.SHARING_SERVICES_REQUIRE_GRANT = True
    with pytest.raises(ValidationError) as exc:
        submit(svc)
    assert "material_hukou" in exc.value.fields


def test_a_suspended_grant_refuses_and_the_case_is_not_filed(both):
    svc, shr = both
    grant, _ = shr.grant()
    services.grant_suspend(actor=shr.owner, grant=grant, note="核查")
    with pytest.raises(ValidationError) as exc:
        submit(svc)
    assert "material_hukou" in exc.value.fields
