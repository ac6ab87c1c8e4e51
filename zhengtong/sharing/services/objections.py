"""Data objections (数据异议): a consumer questions the owner's data; the owner answers in time."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.sharing.models import Grant, Objection


@transaction.atomic
def objection_raise(
    *, actor: Any, grant: Grant, description: str, field_name: str = "", record_ref: str = ""
) -> Objection:
    """The consumer department's staff raise an objection to data they obtained under
    ``grant``; it reaches the owner's approvers with a clock of SHARING_OBJECTION_DAYS working
    days."""
    if grant.consumer_installation:
        raise PermissionDenied(_("this grant's consumer is another installation"))
    ensure_can(actor, "sharing.request", grant.consumer_org_unit, grant.consumer_department)
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [_("say what is wrong")]
    elif len(description) > 4000:
        errors["description"] = [_("at most 4000 characters")]
    if field_name and field_name not in grant.fields:
        errors["field_name"] = [_("not a field of this grant")]
    if len(record_ref or "") > 100:
        errors["record_ref"] = [_("at most 100 characters")]
    if errors:
        raise ValidationError(fields=errors)
    objection = Objection(
        grant=grant,
        org_unit=grant.org_unit,
        department=grant.department,
        raised_by=actor,
        field_name=field_name,
        record_ref=(record_ref or "").strip(),
        description=description,
        state=Objection.workflow.initial,
    )
    Objection.workflow.start_clock(objection)
    objection.save()
    Objection.workflow.start(objection, actor=actor, after={"state": objection.state, "grant": grant.pk})
    for user in account_selectors.holders_of(
        "sharing.approve", grant.org_unit.path, department=grant.department, nearest=True
    ):
        notify(
            recipient=user,
            event="sharing.objection",
            title=_("Data objection on %s") % grant.profile.title,
            body=description[:500],
            link=f"/sharing/objections/{objection.pk}/",
        )
    return objection


@transaction.atomic
def objection_answer(*, actor: Any, objection: Objection, answer: str) -> Objection:
    """The owner's answer (corrected, or why the data stands); stops the clock."""
    answer = (answer or "").strip()
    objection.workflow.apply(objection, "answer", actor=actor, note=answer, changes={"answer": answer[:4000]})
    notify(
        recipient=objection.raised_by,
        event="sharing.objection_answered",
        title=_("Your data objection was answered"),
        body=answer[:500],
        link=f"/sharing/objections/{objection.pk}/",
    )
    return objection
