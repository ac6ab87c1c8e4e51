from __future__ import annotations

import pytest

from conftest import shared_fixture


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    settings.PAYMENTS_LOCAL_SECRET = "test-secret-of-the-local-provider-0123456789"
    settings.PAYMENTS_LOCAL_CALLBACK_URL = ""
    settings.PAYMENTS_LOCAL_DUPLICATES = False


@shared_fixture
def pw(world):
    """The world plus payment staff: a Xihu counter clerk (bills), a Xihu finance officer
    (refunds, reconciliation) and a Yiwu finance officer (another county)."""
    world.xihu_counter = world.staff("xihu_counter", "counter_staff", world.xihu, world.xihu_scjg)
    world.xihu_finance = world.staff("xihu_finance", "finance_officer", world.xihu)
    world.yiwu_finance = world.staff("yiwu_finance", "finance_officer", world.yiwu)
    return world
