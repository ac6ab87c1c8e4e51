"""Data applications (conditional data): a data user applies for the rows of a conditionally
open resource; the owning department approves, rejects or revokes; the applicant may withdraw."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.catalog import hooks
from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import DataApplication, DataResource, Openness
from zhengtong.core.errors import Conflict, CoreError, ValidationError


@transaction.atomic
def application_submit(
    *, actor: Any, resource: DataResource, purpose: str, fields: list[str]
) -> DataApplication:
    """Apply for the rows of a conditionally open resource (the owning department decides)."""
    ensure_authenticated(actor)
    if resource.state != "published" or resource.openness != Openness.CONDITIONAL:
        raise Conflict(
            _("only published, conditionally open resources take applications"),
            code=CatalogError.NOT_CONDITIONAL,
        )
    purpose = (purpose or "").strip()
    if len(purpose) < 10 or len(purpose) > 2000:
        raise ValidationError.for_field("purpose", _("describe the purpose in 10 to 2000 characters"))
    known = [f["name"] for f in (resource.current_version.fields if resource.current_version else [])]
    fields = [f for f in dict.fromkeys(fields or [])]
    if not fields:
        raise ValidationError.for_field("fields", _("choose at least one field"))
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise ValidationError.for_field("fields", _("unknown fields: %s") % ", ".join(unknown))
    if DataApplication.objects.filter(resource=resource, applicant=actor, state="submitted").exists():
        raise Conflict(
            _("you have an application for this resource waiting already"), code=CoreError.DUPLICATE
        )
    application = DataApplication.objects.create(
        resource=resource,
        applicant=actor,
        purpose=purpose,
        fields=fields,
        org_unit=resource.org_unit,
        department=resource.department,
        state=DataApplication.workflow.initial,
    )
    DataApplication.workflow.start(
        application, actor=actor, after={"resource": resource.name, "fields": fields}
    )
    return application


def _decide(
    application: DataApplication,
    name: str,
    *,
    actor: Any,
    note: str = "",
    expected_version: int | None = None,
    decision: bool = False,
    valid_days: int | None = None,
) -> DataApplication:
    ensure_authenticated(actor)
    changes: dict[str, Any] = {}
    if decision:
        changes["decided_at"] = timezone.now()
        changes["decision_note"] = (note or "")[:500]
    if valid_days is not None:
        changes["valid_until"] = timezone.localdate() + dt.timedelta(days=valid_days)
    with transaction.atomic():
        DataApplication.workflow.apply(
            application, name, actor=actor, note=note, changes=changes, expected_version=expected_version
        )
        if decision:
            hooks.APPLICATION_DECIDED.fire(application=application)
    return application


def application_approve(
    *, actor: Any, application: DataApplication, note: str = "", expected_version: int | None = None
) -> DataApplication:
    """Grant the applicant the requested fields' rows for CATALOG_APPLICATION_DAYS days (the
    owning department: catalog.decide_applications). Modules that add conditions (the sharing
    module's data-use agreement) refuse through ``catalog.application_approving``."""
    hooks.APPLICATION_APPROVING.fire(application=application)
    return _decide(
        application,
        "approve",
        actor=actor,
        note=note,
        expected_version=expected_version,
        decision=True,
        valid_days=settings.CATALOG_APPLICATION_DAYS,
    )


def application_reject(
    *, actor: Any, application: DataApplication, note: str = "", expected_version: int | None = None
) -> DataApplication:
    """Refuse an application (the owning department); the reason is required."""
    return _decide(
        application, "reject", actor=actor, note=note, expected_version=expected_version, decision=True
    )


def application_withdraw(
    *, actor: Any, application: DataApplication, note: str = "", expected_version: int | None = None
) -> DataApplication:
    """Withdraw one's own application while it waits (the applicant only)."""
    return _decide(application, "withdraw", actor=actor, note=note, expected_version=expected_version)


def application_revoke(
    *, actor: Any, application: DataApplication, note: str = "", expected_version: int | None = None
) -> DataApplication:
    """End an approved application's access (the owning department); the reason is required."""
    return _decide(application, "revoke", actor=actor, note=note, expected_version=expected_version)


# The named step for each application action the HTTP layer accepts (views and API map to these).
APPLICATION_STEPS = {
    "approve": application_approve,
    "reject": application_reject,
    "withdraw": application_withdraw,
    "revoke": application_revoke,
}
