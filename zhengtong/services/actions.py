"""The HTTP edge of case transitions: the staff pages, the applicant's page and the API post an
action's name; this maps it to its service function (``services.CASE_ACTIONS``)."""

from __future__ import annotations

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
) -> Case:
    """Take the transition named ``action`` through its own service function; ``items`` go only
    to the correction requests. An unknown name is a field error on ``action``."""
    function = services.CASE_ACTIONS.get(action)
    if function is None:
        raise ValidationError.for_field("action", _("unknown action “%s”") % action)
    extra = {"items": items or []} if action in services.CORRECTION_ACTIONS else {}
    return function(actor=actor, case=case, note=note, expected_version=expected_version, **extra)
