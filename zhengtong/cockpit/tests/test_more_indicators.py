"""The indicators added for the rest of issue 13, each against figures counted here: working
days used against the statutory limit, incidents per 1,000 residents, new market entities,
security events and the platform's availability (real probes: a refused connection fails)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.cockpit.models import IndicatorValue, Probe
from zhengtong.cockpit.services import materialize, probes
from zhengtong.core.indicators import indicator

pytestmark = pytest.mark.django_db


def _figure(code: str, path: str, day_from: dt.date, day_to: dt.date, dim: str = "") -> float | None:
    rows = IndicatorValue.objects.filter(code=code, path=path, dim=dim, day__gte=day_from, day__lte=day_to)
    num = sum(r.num for r in rows)
    den = sum(r.den for r in rows)
    return indicator(code).value(num, den)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def test_working_days_used_against_the_statutory_limit(cp):
    from zhengtong.services.models import Case

    cp.generate(days=[cp.days[0]], per_day=1, seed=3)
    template = Case.objects.order_by("pk").first()
    template.item_version.statutory_days = 10
    template.item_version.save(update_fields=["statutory_days"])
    Case.objects.exclude(pk=template.pk).update(completed_at=None)
    # 2026-11-02 is a Monday, 2026-11-06 a Friday: four working days in (Monday, Friday]; the
    # second case spans a weekend: Friday 2026-11-06 to Monday 2026-11-09 is one working day.
    monday, friday, next_monday = dt.date(2026, 11, 2), dt.date(2026, 11, 6), dt.date(2026, 11, 9)
    template.submitted_at, template.completed_at = _at(monday, 10), _at(friday, 15)
    template.save()
    second = Case.objects.get(pk=template.pk)
    second.pk, second.number = None, "WD-2"
    second.submitted_at, second.completed_at = _at(friday, 16), _at(next_monday, 9)
    second.save()
    materialize.recompute(
        day_from=monday,
        day_to=next_monday,
        codes=["services.working_days", "services.statutory_time_used"],
    )
    path = template.org_path
    assert _figure("services.working_days", path, friday, friday) == 4.0
    assert _figure("services.working_days", path, next_monday, next_monday) == 1.0
    assert _figure("services.working_days", path, monday, next_monday) == 2.5
    # (4 + 1) working days used of 2 × 10 statutory ones.
    assert _figure("services.statutory_time_used", path, monday, next_monday) == 25.0
    # Up the tree the same figure: the province sums the same two cases.
    assert _figure("services.statutory_time_used", cp.world.province.path, monday, next_monday) == 25.0


def _person(n: int, unit, *, alive: bool = True):
    from zhengtong.registry.models import Person

    return Person.objects.create(
        resident_id=f"33010619900101{n:04d}"[:18],
        name=f"居民{n}",
        sex="M",
        birth_date=dt.date(1990, 1, 1),
        org_unit=unit,
        is_alive=alive,
    )


def test_incidents_per_thousand_residents_is_annualised_over_registered_residents(cp):
    from zhengtong.grid.models import Incident

    w = cp.world
    day = cp.days[-2]
    cp.generate(days=[day], per_day=2, seed=4)
    for n in range(4):
        _person(n, w.village)
    _person(9, w.village, alive=False)
    materialize.recompute(day_from=day, day_to=day, codes=["grid.per_thousand_residents"])
    in_beishan = Incident.objects.filter(org_unit__path__startswith=w.beishan.path).exclude(state="merged")
    assert in_beishan.count() == 4  # two at the grid, two at the township
    # 4 incidents in one day among 4 living residents: 4 × 1,000 × 365 / (4 × 1 day).
    assert _figure("grid.per_thousand_residents", w.beishan.path, day, day) == 365000.0
    # Over a week with the same incidents the pace is a seventh.
    materialize.recompute(
        day_from=day - dt.timedelta(days=6), day_to=day, codes=["grid.per_thousand_residents"]
    )
    week = _figure("grid.per_thousand_residents", w.beishan.path, day - dt.timedelta(days=6), day)
    assert week == round(365000.0 / 7, 2)
    # 义乌 has incidents but no registered residents: no figure rather than a division by zero.
    assert _figure("grid.per_thousand_residents", w.yiwu.path, day, day) is None


def test_new_market_entities_by_day_of_establishment(cp):
    from zhengtong.registry.models import LegalEntity

    w = cp.world
    day = cp.days[-3]
    for n, (unit, established) in enumerate(
        ((w.yiwu, day), (w.yiwu, day), (w.xihu, day), (w.xihu, day - dt.timedelta(days=1)), (w.xihu, None))
    ):
        LegalEntity.objects.create(
            uscc=f"91330000MA{n:08d}"[:18],
            name=f"企业{n}",
            entity_type="有限责任公司",
            legal_representative="某某",
            registered_address="浙江",
            region_code=unit.code,
            org_unit=unit,
            established_on=established,
        )
    materialize.recompute(day_from=day - dt.timedelta(days=1), day_to=day, codes=["economy.new_entities"])
    assert _figure("economy.new_entities", w.yiwu.path, day, day) == 2
    assert _figure("economy.new_entities", w.xihu.path, day, day) == 1
    assert _figure("economy.new_entities", w.province.path, day - dt.timedelta(days=1), day) == 4


def test_security_events_count_refusals_and_place_the_unplaced_at_the_province(cp):
    from zhengtong.audit import services as audit

    w = cp.world
    audit.record(actor=None, action="accounts.login_failed", target_type="user", target_id="nobody")
    audit.record(actor=None, action="accounts.login_failed", target=cp.xihu_leader, org_unit=w.xihu)
    audit.record(
        actor=None, action="identity.refresh_reused", org_unit=w.yiwu, target_type="token", target_id="1"
    )
    audit.record(actor=None, action="cockpit.export", org_unit=w.xihu)  # not a security event
    today = cp.today
    materialize.recompute(day_from=today, day_to=today, codes=["platform.security_events"])
    assert _figure("platform.security_events", w.province.path, today, today) == 3
    assert _figure("platform.security_events", w.xihu.path, today, today) == 1
    assert _figure("platform.security_events", w.yiwu.path, today, today) == 1
    assert (
        _figure("platform.security_events", w.province.path, today, today, dim="action:accounts.login_failed")
        == 2
    )


def test_availability_from_real_probes_counts_a_refused_address_as_down(cp, settings):
    # Port 9 (discard) on the loopback: nothing listens, the connection is refused.
    settings.COCKPIT_PROBE_URLS = "http://127.0.0.1:9/api/v1/health"
    settings.COCKPIT_PROBE_TIMEOUT_SECONDS = 2
    done = probes.probes_run()
    by_component = {p.component: p for p in done}
    assert by_component["database"].ok and by_component["cache"].ok
    url = by_component["http://127.0.0.1:9/api/v1/health"]
    assert not url.ok and "ConnectionError" in url.detail
    settings.COCKPIT_PROBE_URLS = ""
    probes.probes_run()
    assert Probe.objects.count() == 5
    today = cp.today
    materialize.recompute(day_from=today, day_to=today, codes=["platform.availability"])
    assert _figure("platform.availability", cp.world.province.path, today, today) == 80.0
    assert (
        _figure("platform.availability", cp.world.province.path, today, today, dim="component:cache") == 100.0
    )
    # Counted for the whole platform only: not at a county.
    assert _figure("platform.availability", cp.world.xihu.path, today, today) is None


def test_average_days_to_rectify_a_bad_rating_on_the_day_it_closed(cp):
    from zhengtong.services.models import Rating

    cp.generate(days=cp.days[:10], per_day=3, seed=5)
    Rating.objects.update(rectified_at=None)
    bad = list(Rating.objects.order_by("pk")[:3])
    assert len(bad) == 3
    closed = _at(cp.days[-2], 15)
    # Rated 3 days and 1 day before the rectification closed; the third is rated but not bad.
    for rating, days, score in ((bad[0], 3, 1), (bad[1], 1, 2), (bad[2], 2, 5)):
        Rating.objects.filter(pk=rating.pk).update(
            score=score, created_at=closed - dt.timedelta(days=days), rectified_at=closed, state="rectified"
        )
    day = cp.days[-2]
    materialize.recompute(day_from=day, day_to=day, codes=["services.rectification_days"])
    assert _figure("services.rectification_days", cp.world.province.path, day, day) == 2.0


def test_error_rates_from_the_request_counters_of_every_answer(cp, client):
    from django.core.cache import cache
    from django.http import HttpResponse
    from django.test import RequestFactory

    from zhengtong.cockpit.models import RequestCount
    from zhengtong.core.middleware import RequestContextMiddleware

    cache.clear()
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/cockpit/units/nowhere").status_code in (401, 403, 404)
    assert client.get("/cockpit/").status_code == 302
    # A server error as the middleware sees it (no view of the project answers 5xx on purpose).
    failing = RequestContextMiddleware(lambda request: HttpResponse(status=503))
    assert failing(RequestFactory().get("/api/v1/anything")).status_code == 503
    assert probes.request_counts_collect() == 4
    # Collecting again replaces each hour's row with the counter's value: nothing doubles.
    assert probes.request_counts_collect() == 4
    assert sorted(RequestCount.objects.values_list("channel", "status_class", "count")) == [
        ("api", 2, 1),
        ("api", 4, 1),
        ("api", 5, 1),
        ("web", 3, 1),
    ]
    today, root = cp.today, cp.world.province.path
    materialize.recompute(
        day_from=today, day_to=today, codes=["platform.error_rate", "platform.client_error_rate"]
    )
    assert _figure("platform.error_rate", root, today, today) == 25.0
    assert _figure("platform.client_error_rate", root, today, today) == 25.0
    assert _figure("platform.error_rate", root, today, today, dim="channel:api") == 33.33
    assert _figure("platform.error_rate", root, today, today, dim="channel:web") == 0.0
    assert _figure("platform.error_rate", cp.world.xihu.path, today, today) is None


def test_active_users_once_a_day_at_one_unit_as_a_daily_mean(cp):
    from zhengtong.audit import services as audit

    w = cp.world
    today, yesterday = cp.today, cp.today - dt.timedelta(days=1)
    # The 西湖区 leader acts twice at 西湖区 (one user), the 义乌市 leader once, the citizen once
    # without a unit (counted at the province); the system (no actor) is nobody.
    audit.record(actor=cp.xihu_leader, action="cockpit.export", org_unit=w.xihu)
    audit.record(actor=cp.xihu_leader, action="accounts.login", target=cp.xihu_leader, org_unit=w.xihu)
    audit.record(actor=cp.yiwu_leader, action="cockpit.export", org_unit=w.yiwu)
    audit.record(actor=w.citizen, action="accounts.login", target_type="user", target_id="c")
    audit.record(actor=None, action="cockpit.export", org_unit=w.xihu)
    materialize.recompute(day_from=yesterday, day_to=today, codes=["platform.active_users"])
    root = w.province.path
    assert _figure("platform.active_users", root, today, today) == 3
    assert _figure("platform.active_users", w.xihu.path, today, today) == 1
    assert _figure("platform.active_users", w.yiwu.path, today, today) == 1
    assert _figure("platform.active_users", root, today, today, dim="module:cockpit") == 2
    assert _figure("platform.active_users", root, today, today, dim="module:accounts") == 2
    # Over two days the daily mean: 3 users today, none yesterday.
    ind = indicator("platform.active_users")
    rows = IndicatorValue.objects.filter(code=ind.code, path=root, dim="")
    assert ind.value(sum(r.num for r in rows), 0, 2) == 1.5


def test_app_rating_is_the_usability_sub_score_of_the_ratings_that_carry_it(cp):
    from zhengtong.services.models import Rating

    cp.generate(seed=5)
    ratings = list(Rating.objects.order_by("pk")[:3])
    assert len(ratings) == 3
    first, second, third = ratings
    at = first.created_at
    day = timezone.localdate(at)
    Rating.objects.update(sub_scores={})
    # Three ratings on one day; the third scores other sub-indicators only.
    Rating.objects.filter(pk=first.pk).update(sub_scores={"usability": 5, "efficiency": 1}, created_at=at)
    Rating.objects.filter(pk=second.pk).update(sub_scores={"usability": 2}, created_at=at)
    Rating.objects.filter(pk=third.pk).update(sub_scores={"efficiency": 4}, created_at=at)
    materialize.recompute(day_from=day, day_to=day, codes=["services.app_rating"])
    root = cp.world.province.path
    # (5 + 2) / 2; the ratings without the sub-indicator are not counted (nor other days').
    assert _figure("services.app_rating", root, day, day) == 3.5
    assert _figure("services.app_rating", root, day, day, dim=f"item:{first.item_id}") == (
        3.5 if first.item_id == second.item_id else 5.0
    )
    assert indicator("services.app_rating").domain == "platform"
