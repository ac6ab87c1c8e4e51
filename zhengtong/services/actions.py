"""The HTTP edge of case transitions: the staff pages, the applicant's page and the API post an
action's name; this maps it to its service function (``services.CASE_ACTIONS``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.services import services
from zhengtong.services.models import Case


def case_action_run(
    *,
    actor: Any,
    case: Case,
    action: str,
    note: str = "",
    items: list[str] | None = None,
    expected_version: int,
    owed_until: Any = None,
) -> Case:
    """Take the transition named ``action`` through its own service function; ``items`` go only
    to the correction requests, ``owed_until`` (a date or an ISO date string) only to ``accept``
    (容缺受理). An unknown name is a field error on ``action``."""
    function = services.CASE_ACTIONS.get(action)
    if function is None:
        raise ValidationError.for_field("action", _("unknown action “%s”") % action)
    extra: dict[str, Any] = {"items": items or []} if action in services.CORRECTION_ACTIONS else {}
    if action == "accept" and owed_until not in (None, ""):
        extra["owed_until"] = clean_date(owed_until, "owed_until")
    return function(actor=actor, case=case, note=note, expected_version=expected_version, **extra)


def clean_date(value: Any, field: str) -> dt.date:
    """A date from a form or JSON value, or a field error naming the rule."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError.for_field(field, _("enter a date as YYYY-MM-DD")) from None
