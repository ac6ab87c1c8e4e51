"""The use side's indicators: each counts what happened, by org unit and department."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.core.indicators import indicator
from zhengtong.datause import services


def _total(code, day):
    rows = indicator(code).compute(day, day)
    return {(path, dim): (n, d) for _day, path, dim, n, d in rows}


def test_the_indicators_are_registered():
    for code in (
        "datause.reuses_published",
        "datause.requests_received",
        "datause.requests_on_time_share",
        "datause.overdue_datasets",
    ):
        assert indicator(code) is not None, code


def test_requests_and_reuses_are_counted(use, world):
    today = timezone.localdate()
    stops = use.published(name="stops")
    request = services.request_submit(
        actor=use.citizen,
        title="西湖区餐饮企业名单",
        description="包括名称、地址和许可证有效期。",
        department=world.xihu_scjg,
    )
    received = _total("datause.requests_received", today)
    assert received[(request.org_unit.path, "")] == (1.0, 0.0)
    assert received[(request.org_unit.path, f"department:{world.xihu_scjg.pk}")] == (1.0, 0.0)
    services.request_answer(actor=use.publisher, request=request, outcome="open", answer="将于本月开放。")
    assert _total("datause.requests_on_time_share", today)[(request.org_unit.path, "")] == (1.0, 1.0)
    assert indicator("datause.requests_on_time_share").value(1, 1) == 100.0
    reuse = services.reuse_submit(
        actor=use.other,
        title="公交地图",
        kind="app",
        url="https://example.org/app",
        description="公交站点地图。",
        datasets=[stops.name],
    )
    assert _total("datause.reuses_published", today) == {}
    services.reuse_publish(actor=use.officer, reuse=reuse)
    assert _total("datause.reuses_published", today) == {(reuse.org_unit.path, ""): (1.0, 0.0)}
    assert _total("datause.reuses_published", today - dt.timedelta(days=1)) == {}
