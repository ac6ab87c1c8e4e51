"""accounts.selectors.holders_of: who holds a permission at a unit, through live grants only."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.accounts.models import RoleGrant
from zhengtong.accounts.selectors import holders_of


def test_holders_at_the_unit_and_its_ancestors(world):
    county = world.staff("sup_xihu", "supervisor", world.xihu)
    province = world.staff("sup_zj", "supervisor", world.province)
    world.staff("sup_yiwu", "supervisor", world.yiwu)
    holders = holders_of("registry.view", world.beishan.path)
    # Deepest grant first; the 义乌 supervisor's unit is not an ancestor of 北山街道.
    assert [u.username for u in holders if u.username.startswith("sup_")] == ["sup_xihu", "sup_zj"]
    assert all(u.is_active for u in holders)
    nearest = holders_of("registry.view", world.beishan.path, nearest=True)
    assert county in nearest and province not in nearest
    assert holders_of("no.such_permission", world.beishan.path) == []


def test_expired_and_revoked_grants_do_not_count(world):
    live = world.staff("sup_live", "supervisor", world.xihu)
    expired = world.staff("sup_expired", "supervisor", world.xihu)
    revoked = world.staff("sup_revoked", "supervisor", world.xihu)
    RoleGrant.objects.filter(user=expired).update(valid_until=timezone.now() - dt.timedelta(minutes=1))
    RoleGrant.objects.filter(user=revoked).update(revoked_at=timezone.now())
    holders = holders_of("registry.view", world.xihu.path)
    assert live in holders and expired not in holders and revoked not in holders
    # A grant still valid for a while counts.
    RoleGrant.objects.filter(user=expired).update(valid_until=timezone.now() + dt.timedelta(days=1))
    assert expired in holders_of("registry.view", world.xihu.path)


def test_department_limited_grants(world):
    gaj = world.staff("sup_gaj", "supervisor", world.xihu, department=world.xihu_gaj)
    assert gaj in holders_of("registry.view", world.xihu.path)
    assert gaj in holders_of("registry.view", world.xihu.path, department=world.xihu_gaj)
    assert gaj not in holders_of("registry.view", world.xihu.path, department=world.xihu_scjg)
