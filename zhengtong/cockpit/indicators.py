"""The cockpit's own indicators: what the live feeds measure (the demo's air-quality stations),
a feed's windows becoming daily figures at the feed's unit; and the platform itself, counted at
the top of the org tree: availability from the worker's probes, error rates from the request
counters, active users from the audit trail, security events."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Count, Max, Q, Sum, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.selectors import org_units_at_levels, user_with_username
from zhengtong.audit.selectors import audit_events_by_users, audit_events_with_actions
from zhengtong.cockpit.models import FeedWindow, Probe, RequestCount
from zhengtong.core import trail
from zhengtong.core.indicators import (
    Indicator,
    RowSums,
    changed_days_of,
    grouped_rows,
    in_period,
    local_range,
    register_indicator,
)

AQI_METRIC = "aqi"


def aqi(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    qs = FeedWindow.objects.filter(feed__metric=AQI_METRIC, start__gte=a, start__lt=b)
    return grouped_rows(qs, day="start", path="feed__org_unit__path", num=Sum("total"), den=Sum("count"))


# Audit actions that are security events: refused sign-ins and real-name checks, replayed OIDC
# codes and refresh tokens, refused token and authorization requests, and keys revoked (one leaked
# or misused).
SECURITY_ACTIONS = (
    "accounts.login_failed",
    "registry.real_name.failed",
    "identity.code_reused",
    "identity.refresh_reused",
    "identity.token_refused",
    "identity.authorize_refused",
    "accounts.token.revoke",
    "catalog.key.revoke",
    "sharing.key.revoke",
    "grid.open311_key.revoke",
    "codes.key_revoke",
    "cockpit.feed.key_revoke",
)


def _province() -> str | None:
    unit = org_units_at_levels(["province"]).first()
    return unit.path if unit else None


def security_events(day_from: dt.date, day_to: dt.date):
    """Per day, unit and action; events without an org unit (a failed sign-in of an unknown name)
    count at the province."""
    qs = in_period(audit_events_with_actions(SECURITY_ACTIONS), "occurred_at", day_from, day_to)
    rows = grouped_rows(
        qs, day="occurred_at", path="org_unit_path", num=Count("id"), dims={"action": "action"}
    )
    unplaced = (
        qs.filter(org_unit_path="")
        .annotate(_d=TruncDate("occurred_at"))
        .values_list("_d", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    root = _province()
    for day, action, n in unplaced if root else []:
        rows += [(day, root, "", float(n), 0.0), (day, root, f"action:{action}", float(n), 0.0)]
    return rows


def security_labels(dimension: str, keys: list[str]) -> dict[str, str]:
    return {k: trail.label(k) for k in keys} if dimension == "action" else {}


def security_changed(since: dt.datetime) -> set[dt.date]:
    # The audit trail is append-only: only events recorded since then.
    return changed_days_of(audit_events_with_actions(SECURITY_ACTIONS), since, days=("occurred_at",))


def availability(day_from: dt.date, day_to: dt.date):
    root = _province()
    if root is None:
        return []
    rows = grouped_rows(
        in_period(Probe.objects, "at", day_from, day_to).annotate(_root=Value(root)),
        day="at",
        path="_root",
        num=Count("id", filter=Q(ok=True)),
        den=Count("id"),
        dims={"component": "component"},
    )
    return rows


def _error_rows(status_class: int):
    def compute(day_from: dt.date, day_to: dt.date):
        root = _province()
        if root is None:
            return []
        return grouped_rows(
            in_period(RequestCount.objects, "hour", day_from, day_to).annotate(_root=Value(root)),
            day="hour",
            path="_root",
            num=Sum("count", filter=Q(status_class=status_class)),
            den=Sum("count"),
            dims={"channel": "channel"},
        )

    return compute


def _requests_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(RequestCount.objects, since, days=("hour",), updated="updated_at")


def active_users(day_from: dt.date, day_to: dt.date):
    """Distinct signed-in users with at least one recorded action (a sign-in is one) per day. Each
    user counts once a day, at one unit (the last, in path order, of that day's events with a
    unit; the province when none has one), so a day's figure adds up over units; the breakdowns
    count the user once per channel and per module (application) used that day."""
    root = _province()
    if root is None:
        return []
    qs = in_period(audit_events_by_users(), "occurred_at", day_from, day_to)
    system = user_with_username("system")  # commands, tasks and the demo: nobody who signs in
    if system is not None:
        qs = qs.exclude(actor_id=system.pk)
    qs = qs.annotate(_d=TruncDate("occurred_at"))
    where = {
        (d, actor): path or root
        for d, actor, path in qs.values_list("_d", "actor_id").annotate(p=Max("org_unit_path")).order_by()
    }
    sums = RowSums()
    for (d, _actor), path in where.items():
        sums.add(d, path, 1.0)
    for d, actor, channel in qs.values_list("_d", "actor_id", "channel").distinct().order_by():
        if channel:
            sums.add_breakdown(d, where[(d, actor)], 1.0, channel=channel)
    modules = {
        (d, actor, action.split(".", 1)[0])
        for d, actor, action in qs.values_list("_d", "actor_id", "action").distinct().order_by()
    }
    for d, actor, module in modules:
        sums.add_breakdown(d, where[(d, actor)], 1.0, module=module)
    return sums.rows()


def module_labels(dimension: str, keys: list[str]) -> dict[str, str]:
    """The applications' (modules') names."""
    if dimension != "module":
        return {}
    names = {c.label: str(c.verbose_name) for c in apps.get_app_configs()}
    return {k: names.get(k, k) for k in keys}


def _active_changed(since: dt.datetime) -> set[dt.date]:
    # Append-only: only events recorded since then.
    return changed_days_of(audit_events_by_users(), since, days=("occurred_at",))


def install() -> None:
    for status_class, code, name, name_en, thresholds in (
        (5, "platform.error_rate", "平台服务错误率", "Platform server error rate", (0.5, 2.0)),
        (4, "platform.client_error_rate", "请求被拒率", "Refused request rate", (10.0, 25.0)),
    ):
        register_indicator(
            Indicator(
                code=code,
                name=name,
                name_en=name_en,
                definition=_(
                    "Share of the web pages' and API's answers with a %(class)sxx status (server errors for 5xx; "
                    "refused, invalid or unknown requests for 4xx)."
                )
                % {"class": status_class},
                formula=f"sum(RequestCount {status_class}xx) / sum(RequestCount) × 100",
                unit="%",
                kind="ratio",
                direction="down",
                thresholds=thresholds,
                compute=_error_rows(status_class),
                changed_days=_requests_changed,
                dimensions=("region", "channel", "day"),
                frequency="hourly",
                owner="dsj",
                domain="platform",
                methodology=_(
                    "Every answer of the web and API servers is counted by channel and status class in hourly "
                    "counters in the shared cache (one increment per request; static files are not counted); the "
                    "worker copies them into the store with every materialization run and keeps what the cache "
                    "keeps for two days. Counted for the whole platform, at the province. With the file cache "
                    "of a single node, concurrent increments can be lost; with Redis they are exact."
                ),
            )
        )
    register_indicator(
        Indicator(
            code="platform.active_users",
            name="日均活跃用户",
            name_en="Daily active users",
            definition=_(
                "Signed-in users with at least one recorded action on a day (a sign-in counts), as a daily mean "
                "over the period; by channel and by application (module) used."
            ),
            formula="count(distinct AuditEvent.actor per day) / days",
            unit="人",
            kind="per_day",
            direction="up",
            compute=active_users,
            changed_days=_active_changed,
            labels=module_labels,
            dimensions=("region", "channel", "module", "day"),
            owner="dsj",
            domain="platform",
            methodology=_(
                "From the audit trail. A user counts once a day, at one unit: the last (in code order) unit of "
                "that day's actions, or the province when none has a unit, so the units' figures add up. "
                "Reading pages without any recorded action is not counted."
            ),
        )
    )

    register_indicator(
        Indicator(
            code="platform.security_events",
            name="安全事件数",
            name_en="Security events",
            definition=_(
                "Refused sign-ins and real-name checks, replayed or refused OIDC codes and tokens, and revoked keys."
            ),
            formula="count(AuditEvent with a security action, by occurred_at)",
            unit="次",
            kind="count",
            direction="down",
            compute=security_events,
            changed_days=security_changed,
            labels=security_labels,
            dimensions=("region", "action", "day"),
            owner="dsj",
            domain="platform",
            methodology=_(
                "From the append-only audit trail; events without an org unit (an unknown user name) count "
                "at the province."
            ),
        )
    )
    register_indicator(
        Indicator(
            code="platform.availability",
            name="平台可用率",
            name_en="Platform availability",
            definition=_(
                "Share of the worker's availability checks that passed (database, cache, web addresses)."
            ),
            formula="count(Probe passed) / count(Probe) × 100",
            unit="%",
            kind="ratio",
            direction="up",
            thresholds=(99.9, 99.0),
            compute=availability,
            dimensions=("region", "component", "day"),
            frequency="hourly",
            owner="dsj",
            domain="platform",
            methodology=_(
                "Checked with every materialization run (COCKPIT_MATERIALIZE_INTERVAL_SECONDS): a query of the "
                "database, a write and read of the cache, and a GET of each address in COCKPIT_PROBE_URLS that "
                "must answer 2xx within COCKPIT_PROBE_TIMEOUT_SECONDS. Counted for the whole platform, at the "
                "province; a check that cannot run because the worker is down is not counted, so read it beside "
                "the worker's own monitoring."
            ),
        )
    )
    register_indicator(
        Indicator(
            code="environment.aqi",
            name="空气质量指数",
            name_en="Air quality index",
            definition=_("Mean AQI reported by the air-quality stations' live feeds."),
            formula="sum(reported AQI) / count(messages), feeds with metric aqi",
            unit="AQI",
            kind="mean",
            direction="down",
            thresholds=(100.0, 150.0),
            compute=aqi,
            frequency="hourly",
            owner="sthj",
            domain="environment",
            methodology=_("GB 3095-2012 bands: up to 100 good or moderate; above 150 unhealthy."),
        )
    )
