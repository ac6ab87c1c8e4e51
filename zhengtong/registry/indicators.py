"""The registry's indicators for the cockpit (registered by ``wiring.install``): new market
entities (经济运行监测), counted on their day of establishment at the unit they are registered in."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import Indicator, changed_days_of, count_rows, records_of, register_indicator
from zhengtong.registry.models import LegalEntity

PATH = "org_unit__path"


def new_entities(day_from, day_to):
    return count_rows(
        LegalEntity.objects,
        day_from,
        day_to,
        day="established_on",
        path=PATH,
        dims={"type": "entity_type"},
        is_date=True,
    )


def records(path: str, day_from: dt.date, day_to: dt.date, limit: int) -> list[dict]:
    # Enterprises' names and codes are public (国家企业信用信息公示); the representative is not shown.
    return records_of(
        LegalEntity.objects.select_related("org_unit"),
        path,
        day_from,
        day_to,
        limit,
        at="established_on",
        path_field=PATH,
        is_date=True,
        row=lambda e: {
            "ref": e.uscc,
            "at": e.established_on,
            "state": e.status,
            "label": e.name,
            "path": e.org_unit.path,
        },
    )


def changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(
        LegalEntity.objects, since, days=("established_on",), updated="updated_at", is_date=True
    )


def install() -> None:
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
            records=records,
            changed_days=changed,
            dimensions=("region", "type", "day"),
            owner="scjg",
            domain="economy",
            methodology=_(
                "Counted at the unit the entity is registered in, on its date of establishment; "
                "entities without that date are not counted."
            ),
        )
    )
