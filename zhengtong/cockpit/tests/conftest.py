"""Fixtures of the cockpit tests: leaders of 西湖区 and 义乌市 and of the province, generated
records in both counties over the last three weeks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import shared_fixture


class Cockpit:
    def __init__(self, world):
        from zhengtong.cockpit.tests.generate import Scope

        w = world
        self.world = w
        self.province_leader = w.staff("p_leader", "leader", w.province)
        self.xihu_leader = w.staff("x_leader", "leader", w.xihu)
        self.yiwu_leader = w.staff("y_leader", "leader", w.yiwu)
        self.xihu_supervisor = w.staff("x_supervisor", "supervisor", w.xihu)
        self.scope = Scope(
            units=[w.grid, w.beishan, w.yiwu],
            departments=[w.xihu_scjg, w.xihu_gaj, w.yiwu_scjg],
            applicant=w.citizen,
        )

    # Read at use: the fixture is shared by the whole run, which may cross local midnight
    # (a CI run did, and the materializer's "today" moved while this one stayed behind).
    @property
    def today(self) -> dt.date:
        return timezone.localdate()

    @property
    def days(self) -> list[dt.date]:
        return [self.today - dt.timedelta(days=i) for i in range(20, -1, -1)]

    def generate(self, days=None, per_day=2, seed=7):
        from zhengtong.cockpit.tests.generate import generate

        return generate(self.scope, days=days or self.days[:14], per_day=per_day, seed=seed)


@shared_fixture
def cockpit_world(world):
    return Cockpit(world)


@pytest.fixture
def cp(cockpit_world, settings):
    settings.COCKPIT_HISTORY_DAYS = 30
    return cockpit_world
