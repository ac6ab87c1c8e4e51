"""The shared ``world`` province: built once, yet every test starts from the same state."""

from __future__ import annotations

import pytest

from zhengtong.accounts.models import OrgUnit, User


@pytest.mark.parametrize("round_", [1, 2])
def test_changes_made_by_one_world_test_are_gone_in_the_next(world, round_):
    # Runs twice: whichever round comes second fails if the first one's changes leaked,
    # in the database or in the objects the fixture hands out.
    assert world.xihu_clerk.display_name != "changed"
    assert User.objects.get(pk=world.xihu_clerk.pk).display_name != "changed"
    assert not User.objects.filter(username="extra_clerk").exists()
    world.xihu_clerk.display_name = "changed"
    world.xihu_clerk.save(update_fields=["display_name"])
    world.staff("extra_clerk", "registry_clerk", world.xihu, world.xihu_gaj)


def test_world_holds_the_province(world):
    assert world.xihu.code == "330106"
    assert world.xihu_gaj.org_unit_id == world.xihu.pk
    assert world.citizen.username == "citizen"
    assert world.system.username == "system"


@pytest.mark.django_db
def test_tests_without_world_see_no_province():
    assert not OrgUnit.objects.filter(code="330000").exists()
    assert not User.objects.filter(username="xihu_clerk").exists()
