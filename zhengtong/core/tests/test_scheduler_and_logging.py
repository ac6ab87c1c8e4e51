import datetime as dt
import logging

import pytest
from django.utils import timezone

from zhengtong.core.logging import PersonalDataFilter, mask_text
from zhengtong.core.management.commands.run_worker import enqueue_due
from zhengtong.core.models import PeriodicRun
from zhengtong.core.tasks import periodic_tasks


@pytest.mark.django_db
def test_periodic_tasks_are_enqueued_once_per_interval(settings):
    settings.SLA_SCAN_INTERVAL_SECONDS = 300
    now = timezone.now()
    watched = {"core.sla_scan", "registry.licences_expire_due"}  # 300 s and one hour

    def due(at):
        return [name for name in enqueue_due(at) if name in watched]

    # The first pass enqueues every registered task (modules register theirs in ready()), once.
    first = enqueue_due(now)
    assert sorted(first) == sorted(p.name for p in periodic_tasks())
    assert len(first) == len(set(first))
    assert due(now + dt.timedelta(seconds=100)) == []
    assert due(now + dt.timedelta(seconds=301)) == ["core.sla_scan"]
    assert due(now + dt.timedelta(seconds=3601)) == ["core.sla_scan", "registry.licences_expire_due"]
    assert PeriodicRun.objects.get(name="core.sla_scan").last_enqueued_at == now + dt.timedelta(seconds=3601)


def test_log_filter_masks_identifiers_next_to_chinese_text():
    text = "用户11010519491231002X手机13912345678卡号6222021234567890123提交"
    assert mask_text(text) == "用户110105********002X手机139****5678卡号6222********0123提交"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "id %s", ("11010519491231002X",), None)
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "id 110105********002X"
