import datetime as dt
import logging

import pytest
from django.utils import timezone

from zhengtong.core.logging import PersonalDataFilter, mask_text
from zhengtong.core.management.commands.run_worker import enqueue_due
from zhengtong.core.models import PeriodicRun


@pytest.mark.django_db
def test_periodic_tasks_are_enqueued_once_per_interval(settings):
    settings.SLA_SCAN_INTERVAL_SECONDS = 300
    now = timezone.now()
    # The registry's hourly licence-expiry scan is registered too (RegistryConfig.ready).
    assert enqueue_due(now) == ["core.sla_scan", "registry.licences_expire_due"]
    assert enqueue_due(now + dt.timedelta(seconds=100)) == []
    assert enqueue_due(now + dt.timedelta(seconds=301)) == ["core.sla_scan"]
    assert enqueue_due(now + dt.timedelta(seconds=3601)) == ["core.sla_scan", "registry.licences_expire_due"]
    assert PeriodicRun.objects.get(name="core.sla_scan").last_enqueued_at == now + dt.timedelta(seconds=3601)


def test_log_filter_masks_identifiers_next_to_chinese_text():
    text = "用户11010519491231002X手机13912345678卡号6222021234567890123提交"
    assert mask_text(text) == "用户110105********002X手机139****5678卡号6222********0123提交"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", ("11010519491231002X",), None)
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "id 110105********002X"
