"""The platform's own use, from the audit trail, for the cockpit ("数字政府使用的怎么样"): recorded
actions per region and channel, and security events (registered by ``AuditConfig.ready``). Actions
without an org unit (platform-wide settings) have no region and are not counted; security events
without one (a failed sign-in of an unknown name) count at the top of the org tree."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.selectors import org_units_at_levels
from zhengtong.audit.models import AuditEvent
from zhengtong.core import trail
from zhengtong.core.indicators import Indicator, days_of, grouped_rows, local_range, register_indicator

# Audit actions that are security events: refused sign-ins and real-name checks, replayed OIDC
# codes and refresh tokens, refused token requests, and keys revoked (one leaked or misused).
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


def actions(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    return grouped_rows(
        AuditEvent.objects.filter(occurred_at__gte=a, occurred_at__lt=b).exclude(org_unit_path=""),
        day="occurred_at",
        path="org_unit_path",
        num=Count("id"),
        dims={"channel": "channel"},
    )


def security_events(day_from: dt.date, day_to: dt.date):
    a, b = local_range(day_from, day_to)
    qs = AuditEvent.objects.filter(occurred_at__gte=a, occurred_at__lt=b, action__in=SECURITY_ACTIONS)
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
    roots = [u.path for u in org_units_at_levels(["province"])[:1]]
    for day, action, n in unplaced if roots else []:
        rows += [(day, roots[0], "", float(n), 0.0), (day, roots[0], f"action:{action}", float(n), 0.0)]
    return rows


def labels(dimension: str, keys: list[str]) -> dict[str, str]:
    return {k: trail.label(k) for k in keys} if dimension == "action" else {}


def changed(since: dt.datetime) -> set[dt.date]:
    # Append-only: only events recorded since then.
    return days_of(AuditEvent.objects.filter(occurred_at__gte=since), "occurred_at")


def install() -> None:
    register_indicator(
        Indicator(
            code="platform.actions",
            name="平台业务操作量",
            name_en="Platform actions",
            definition=_(
                "Actions recorded in the audit trail (applications, decisions, reports, data loads...), by channel."
            ),
            formula="count(AuditEvent with an org unit, by occurred_at)",
            unit="次",
            kind="count",
            direction="up",
            compute=actions,
            changed_days=changed,
            dimensions=("region", "channel", "day"),
            owner="dsj",
            domain="platform",
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
            changed_days=changed,
            labels=labels,
            dimensions=("region", "action", "day"),
            owner="dsj",
            domain="platform",
            methodology=_(
                "From the append-only audit trail; events without an org unit (an unknown user name) count "
                "at the province. The breakdown by action is on the methodology page."
            ),
        )
    )
