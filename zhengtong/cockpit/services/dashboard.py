"""What a leader sees: the cockpit of one unit, a drill-through to the records, each checked
against ``cockpit.view`` at that unit (a role grants its unit and everything below it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can, scope_roots
from zhengtong.cockpit import selectors
from zhengtong.cockpit.selectors import Period
from zhengtong.cockpit.services.materialize import STORE_CACHE
from zhengtong.core import cache as core_cache
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.indicators import indicator, indicators

PERIOD_DAYS = (7, 30, 90, 365)
DRILL_LIMIT = 100


def period_of(*, days: Any = 30, end: Any = None) -> Period:
    """The period ending ``end`` (default today), ``days`` long (one of PERIOD_DAYS)."""
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError.for_field(
            "days", _("must be one of %s") % ", ".join(map(str, PERIOD_DAYS))
        ) from None
    if days not in PERIOD_DAYS:
        raise ValidationError.for_field("days", _("must be one of %s") % ", ".join(map(str, PERIOD_DAYS)))
    if end in (None, ""):
        day_to = timezone.localdate()
    elif isinstance(end, dt.date):
        day_to = end
    else:
        try:
            day_to = dt.date.fromisoformat(str(end))
        except ValueError:
            raise ValidationError.for_field("end", _("must be a date (YYYY-MM-DD)")) from None
    if not dt.date(2000, 1, 1) <= day_to <= timezone.localdate() + dt.timedelta(days=1):
        raise ValidationError.for_field("end", _("must be a date between 2000-01-01 and today"))
    return Period.ending(day_to, days)


def unit_for(actor: Any, code: str | None):
    """The unit ``code`` if the actor may see its cockpit; without a code, the top unit of the
    actor's cockpit scope. NotFound / PermissionDenied otherwise."""
    if code:
        unit = account_selectors.org_unit_by_code(str(code)[:15])
        if unit is None:
            raise NotFound(_("no org unit with region code %s") % str(code)[:15])
    else:
        roots = scope_roots(actor, "cockpit.view") if getattr(actor, "is_authenticated", False) else []
        unit = None
        if roots == [""]:
            unit = account_selectors.org_units_at_levels(["province"]).first()
        elif roots:
            unit = account_selectors.org_unit_by_path(roots[0])
        if unit is None:
            ensure_can(actor, "cockpit.view")  # raises the permission error
            raise NotFound(_("no org unit"))
    ensure_can(actor, "cockpit.view", unit)
    return unit


def unit_for_manage(actor: Any, code: str):
    """The unit ``code`` if the actor may manage the cockpit there (feeds); a field error when no
    such unit exists."""
    unit = account_selectors.org_unit_by_code(str(code)[:15])
    if unit is None:
        raise ValidationError.for_field("org_unit", _("no org unit with region code %s") % str(code)[:15])
    ensure_can(actor, "cockpit.manage", unit)
    return unit


def indicator_or_error(code: Any):
    ind = indicator(str(code or ""))
    if ind is None:
        raise ValidationError.for_field("indicator", _("no indicator is registered with that code"))
    return ind


def default_map_indicator() -> str:
    codes = [i.code for i in indicators()]
    return "services.applications" if "services.applications" in codes else (codes[0] if codes else "")


def cockpit(*, actor: Any, unit: Any, period: Period, map_indicator: str | None = None) -> dict:
    """The cockpit of ``unit`` for ``period``: headline figures with the previous period, the
    chosen indicator's trend, its value at each unit below (the map), the league of departments,
    the hot spots by category and the open alerts. A constant number of queries."""
    ensure_can(actor, "cockpit.view", unit)
    ind = indicator_or_error(map_indicator or default_map_indicator())
    stored = store_reads(unit, period, ind.code)
    # The cached figures carry indicator codes (an Indicator holds functions: not pickled).
    figures = [{**f, "indicator": indicator(f["code"])} for f in stored["figures"]]
    return {
        "unit": unit,
        "period": period,
        "indicator": ind,
        "figures": [f for f in figures if f["indicator"] is not None],
        **{k: v for k, v in stored.items() if k != "figures"},
        "alerts": selectors.alerts_at(unit.path),
        "breadcrumbs": [u for u in _ancestors(unit)],
        "live": selectors.live_windows(unit.path),
        "refresh_seconds": settings.COCKPIT_WALL_REFRESH_SECONDS,
    }


def store_reads(unit, period: Period, code: str) -> dict:
    """What the cockpit of ``unit`` reads from the indicator store for ``period`` and the chosen
    indicator ``code``, cached until the store changes (``materialize.STORE_CACHE`` is invalidated
    by every materialization), for at most an hour. Only the store: alerts and live tiles are
    read on every request, and the caller has checked the permission."""

    def compute() -> dict:
        counties = (
            list(account_selectors.org_units_at_levels(["county"], within=unit.path))
            if unit.level in ("province", "city")
            else None
        )
        return selectors.page_figures(
            unit,
            period,
            code,
            counties=counties,
            hot_code="grid.received" if indicator("grid.received") else None,
        )

    key = f"{unit.path}|{period.day_from}|{period.day_to}|{code}|{translation.get_language()}"
    return core_cache.cached(STORE_CACHE, key, compute, timeout=3600)


def _ancestors(unit) -> list:
    paths = [p for p in _prefixes(unit.path)]
    units = {
        u.path: u
        for u in account_selectors.org_units_with_codes([p.rstrip("/").split("/")[-1] for p in paths])
    }
    return [units[p] for p in paths if p in units]


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def drill_through(*, actor: Any, unit: Any, code: str, period: Period) -> dict:
    """The records under one figure that the viewer may see: the indicator's own listing of the
    unit's subtree (the viewer holds ``cockpit.view`` there), without personal data."""
    ensure_can(actor, "cockpit.view", unit)
    ind = indicator_or_error(code)
    records = ind.records(unit.path, period.day_from, period.day_to, DRILL_LIMIT) if ind.records else []
    return {"unit": unit, "indicator": ind, "period": period, "records": records, "limit": DRILL_LIMIT}
