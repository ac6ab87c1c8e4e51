"""The sharing module's indicators for the cockpit (registered by ``wiring.install``): grants made
by the departments that own the data, and verification calls (核验) answered for them."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from zhengtong.core.indicators import Indicator, changed_days_of, count_rows, register_indicator
from zhengtong.sharing.models import DeliveryMode, Exchange, Grant


def grants(day_from, day_to):
    return count_rows(
        Grant.objects,
        day_from,
        day_to,
        day="created_at",
        path="org_unit__path",
        dims={"department": "department_id", "mode": "mode"},
    )


def _verifications():
    return Exchange.objects.filter(mode=DeliveryMode.VERIFICATION, owner_department__isnull=False)


def verification_calls(day_from, day_to):
    return count_rows(
        _verifications(),
        day_from,
        day_to,
        day="at",
        path="owner_department__org_unit__path",
        dims={"department": "owner_department_id", "outcome": "outcome"},
    )


def _grants_changed(since: dt.datetime) -> set[dt.date]:
    return changed_days_of(Grant.objects, since, days=("created_at",))


def _calls_changed(since: dt.datetime) -> set[dt.date]:
    # The message log is append-only.
    return changed_days_of(_verifications(), since, days=("at",))


def install() -> None:
    common = {"owner": "dsj", "domain": "sharing", "kind": "count", "direction": "up"}
    register_indicator(
        Indicator(
            code="sharing.grants",
            name="共享授权数",
            name_en="Sharing grants",
            definition=_("Grants of shared data made by the departments that own it."),
            formula="count(Grant by created_at)",
            unit="项",
            compute=grants,
            changed_days=_grants_changed,
            dimensions=("region", "department", "mode", "day"),
            **common,
        )
    )
    register_indicator(
        Indicator(
            code="sharing.verification_calls",
            name="共享核验调用量",
            name_en="Verification calls",
            definition=_(
                "Verification calls (核验) answered or refused for the departments that own the data."
            ),
            formula="count(Exchange with mode verification, by at)",
            unit="次",
            compute=verification_calls,
            changed_days=_calls_changed,
            dimensions=("region", "department", "outcome", "day"),
            **common,
        )
    )
