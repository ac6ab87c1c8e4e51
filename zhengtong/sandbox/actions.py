"""At the HTTP edge only: the map from a posted project ``action`` to its service function."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.sandbox import services
from zhengtong.sandbox.models import Project

PROJECT_ACTIONS = {
    "approve_owner": services.project_approve_owner,
    "approve": services.project_approve,
    "reject": services.project_reject,
    "close": services.project_close,
}


def project_action(*, actor: Any, project: Project, action: str, note: str = "") -> Project:
    function = PROJECT_ACTIONS.get(action)
    if function is None:
        raise ValidationError.for_field("action", _("must be one of %s") % ", ".join(PROJECT_ACTIONS))
    return function(actor=actor, project=project, note=note)
