"""The codes module's indicators for the cockpit (registered by ``wiring.install``): the colour
distribution of issued codes, the county risk levels (五色图), and the economic-operation series
(经济运行监测) the platform holds: enterprises' power use, and new market entities from the
legal-entity registry (法人库), by date of establishment at the unit they are registered in."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.selectors import org_units_with_codes
from zhengtong.codes.models import Issuance, PowerUse, RegionRisk
from zhengtong.core.indicators import (
    Indicator,
    changed_days_of,
    count_rows,
    grouped_rows,
    local_range,
    records_of,
    register_indicator,
)
from zhengtong.registry.selectors import legal_entities_established


def issued(day_from, day_to):
    a, b = local_range(day_from, day_to)
    return grouped_rows(
        Issuance.objects.filter(issued_at__gte=a, issued_at__lt=b),
        day="issued_at",
        path="subject__org_unit__path",
        num=Count("id"),
        dims={"colour": "colour"},
    )


def red_share(day_from, day_to):
    a, b = local_range(day_from, day_to)
    return grouped_rows(
        Issuance.objects.filter(issued_at__gte=a, issued_at__lt=b),
        day="issued_at",
        path="subject__org_unit__path",
        num=Count("id", filter=Q(colour__in=("red", "yellow"))),
        den=Count("id"),
    )


def power(day_from, day_to):
    return grouped_rows(
        PowerUse.objects.filter(day__gte=day_from, day__lte=day_to),
        day="day",
        day_is_date=True,
        path="subject__org_unit__path",
        num=Sum("kwh"),
    )


def risk(day_from, day_to):
    """Mean risk level (1 low … 5 high) of the counties, each county-day counting once."""
    rows = list(
        RegionRisk.objects.filter(day__gte=day_from, day__lte=day_to).values_list(
            "county_code", "day", "level"
        )
    )
    paths = {u.code: u.path for u in org_units_with_codes(sorted({r[0] for r in rows}))}
    return [(day, paths[code], "", float(level), 1.0) for code, day, level in rows if code in paths]


def new_entities(day_from, day_to):
    return count_rows(
        legal_entities_established(),
        day_from,
        day_to,
        day="established_on",
        path="org_unit__path",
        dims={"type": "entity_type"},
        is_date=True,
    )


def entity_records(path: str, day_from, day_to, limit: int) -> list[dict]:
    # Enterprises' names and codes are public (国家企业信用信息公示); the representative is not shown.
    return records_of(
        legal_entities_established().select_related("org_unit"),
        path,
        day_from,
        day_to,
        limit,
        at="established_on",
        path_field="org_unit__path",
        is_date=True,
        row=lambda e: {
            "ref": e.uscc,
            "at": e.established_on,
            "state": e.status,
            "label": e.name,
            "path": e.org_unit.path,
        },
    )


def entities_changed(since):
    return changed_days_of(
        legal_entities_established(), since, days=("established_on",), updated="updated_at", is_date=True
    )


def install() -> None:
    common = {"owner": "wjw", "domain": "codes"}
    register_indicator(
        Indicator(
            code="codes.issued",
            name="亮码次数",
            name_en="Codes issued",
            definition=_("Status codes issued, by colour."),
            formula="count(Issuance by issued_at)",
            unit="次",
            kind="count",
            direction="up",
            compute=issued,
            dimensions=("region", "colour", "day"),
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="codes.red_yellow_share",
            name="红黄码占比",
            name_en="Red and yellow code share",
            definition=_("Share of issued codes that were red or yellow."),
            formula="count(red or yellow) / count(issued) × 100",
            unit="%",
            kind="ratio",
            direction="down",
            thresholds=(5.0, 10.0),
            compute=red_share,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="codes.risk_level",
            name="平均风险等级",
            name_en="Mean risk level",
            definition=_("Mean of the counties' daily risk levels (1 low to 5 high), the 五色图."),
            formula="sum(RegionRisk.level) / count(county-days)",
            unit="级",
            kind="mean",
            direction="down",
            thresholds=(2.0, 3.0),
            compute=risk,
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="economy.power_use",
            name="企业用电量",
            name_en="Enterprise power use",
            definition=_("Electricity used by the enterprises the platform follows (经济运行监测)."),
            formula="sum(PowerUse.kwh)",
            unit="kWh",
            kind="count",
            direction="up",
            compute=power,
            owner="fgw",
            domain="economy",
        )
    )
    register_indicator(
        Indicator(
            code="economy.new_entities",
            name="新设市场主体",
            name_en="New market entities",
            definition=_("Legal entities established, as registered in the legal-entity registry (法人库)."),
            formula="count(LegalEntity by established_on)",
            unit="户",
            kind="count",
            direction="up",
            compute=new_entities,
            records=entity_records,
            changed_days=entities_changed,
            dimensions=("region", "type", "day"),
            owner="scjg",
            domain="economy",
            methodology=_(
                "Counted at the unit the entity is registered in, on its date of establishment; "
                "entities without that date are not counted."
            ),
        )
    )
