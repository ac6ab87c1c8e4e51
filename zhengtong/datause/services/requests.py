"""Data requests (数据需求): asking, supporting, answering with one of four outcomes, publishing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datause.models import DataRequest, Follow, Frequency, Outcome, RequestFormat, RequestSupport
from zhengtong.datause.services.common import choice, text, write_allowed
from zhengtong.datause.services.follows import followers, tell

audit_actions.register({"datause.request.support": gettext_lazy("Support a data request")})


def request_submit(
    *,
    actor: Any,
    title: str,
    description: str,
    department: Any,
    purpose: str = "",
    format: str = "any",
    frequency: str = "irregular",
    public: bool = True,
) -> DataRequest:
    """A signed-in user asks a department for data; the department's clock starts at once
    (DATAUSE_REQUEST_DAYS working days). The requester follows their own request."""
    write_allowed(actor)
    cleaned = {
        "title": text("title", title, 200),
        "description": text("description", description, 4000),
        "purpose": text("purpose", purpose, 2000, required=False),
        "format": choice("format", format, list(RequestFormat.values)),
        "frequency": choice("frequency", frequency, list(Frequency.values)),
    }
    if not isinstance(public, bool):
        raise ValidationError.for_field("public", _("must be true or false"))
    dept = account_selectors.department_by_id(getattr(department, "pk", department))
    if dept is None or not dept.is_active:
        raise ValidationError.for_field("department", _("unknown department"))
    with transaction.atomic():
        request = DataRequest(
            **cleaned,
            department=dept,
            org_unit=dept.org_unit,
            requester=actor,
            public=public,
            state=DataRequest.workflow.initial,
        )
        DataRequest.workflow.start_clock(request)
        request.save()
        DataRequest.workflow.start(
            request, actor=actor, after={"title": request.title, "department": dept.pk}
        )
        Follow.objects.get_or_create(user=actor, target=Follow.Target.REQUEST, target_id=request.pk)
        link = reverse("datause:request_manage", args=[request.pk])
        for user in account_selectors.holders_of("datause.answer", dept.org_unit.path, department=dept):
            tell(
                [user],
                event="datause.request_new",
                title=_("New data request: %s") % request.title,
                body=_("Please answer by %s.") % request.sla_deadline,
                link=link,
            )
    return request


def request_support(*, actor: Any, request: DataRequest) -> DataRequest:
    """Support (+1) a public request once per user; the supporter follows it too."""
    write_allowed(actor)
    if not request.public or request.requester_id == actor.pk:
        raise ValidationError.for_field("request", _("you cannot support this request"))
    try:
        with transaction.atomic():
            RequestSupport.objects.create(request=request, user=actor)
            DataRequest.objects.filter(pk=request.pk).update(supporters=F("supporters") + 1)
            Follow.objects.get_or_create(user=actor, target=Follow.Target.REQUEST, target_id=request.pk)
            audit.record(actor=actor, action="datause.request.support", target=request)
    except IntegrityError:
        pass  # supported already: nothing changes
    request.refresh_from_db(fields=["supporters"])
    return request


def _answer_link(request: DataRequest) -> str:
    return reverse("datause:request_detail", args=[request.pk])


def request_answer(
    *,
    actor: Any,
    request: DataRequest,
    outcome: str,
    answer: str,
    planned_on: dt.date | None = None,
    resource: Any = None,
    expected_version: int | None = None,
) -> DataRequest:
    """The addressed department answers (datause.answer for it): ``open`` (it will be opened),
    ``scheduled`` (with a planned date), ``refused`` (the answer is the reason) or ``existing``
    (pointing to a published dataset). Followers are told."""
    ensure_authenticated(actor)
    outcome = choice("outcome", outcome, list(Outcome.values))
    cleaned = text("answer", answer, 4000)
    changes: dict[str, Any] = {"outcome": outcome, "answer": cleaned, "answered_at": timezone.now()}
    if outcome == Outcome.SCHEDULED:
        if not isinstance(planned_on, dt.date) or planned_on < timezone.localdate():
            raise ValidationError.for_field("planned_on", _("a date from today on is required"))
        changes["planned_on"] = planned_on
    if outcome == Outcome.EXISTING:
        changes["resource_id"] = _published(actor, resource).pk
    changes["answered_on_time"] = request.sla_state in ("on_time", "due_soon")
    with transaction.atomic():
        DataRequest.workflow.apply(
            request,
            "answer",
            actor=actor,
            note=cleaned[:500],
            changes=changes,
            expected_version=expected_version,
        )
        tell(
            followers(Follow.Target.REQUEST, [request.pk]),
            event="datause.request_answered",
            title=_("Your data request was answered: %s") % request.title,
            body=_("%(outcome)s: %(answer)s") % {"outcome": Outcome(outcome).label, "answer": cleaned},
            link=_answer_link(request),
            skip=actor,
        )
    return request


def _published(actor: Any, resource: Any):
    if resource is None:
        raise ValidationError.for_field("resource", _("a published dataset is required"))
    try:
        found = catalog_selectors.resource_get(user=actor, name_or_id=getattr(resource, "pk", resource))
    except NotFound:
        raise ValidationError.for_field("resource", _("a published dataset is required")) from None
    if found.state != "published":
        raise ValidationError.for_field("resource", _("a published dataset is required"))
    return found


def request_fulfil(
    *, actor: Any, request: DataRequest, resource: Any, expected_version: int | None = None
) -> DataRequest:
    """The department published the requested data: link the dataset; followers are told."""
    ensure_authenticated(actor)
    found = _published(actor, resource)
    with transaction.atomic():
        DataRequest.workflow.apply(
            request,
            "fulfil",
            actor=actor,
            changes={"resource_id": found.pk, "fulfilled_at": timezone.now()},
            expected_version=expected_version,
        )
        tell(
            followers(Follow.Target.REQUEST, [request.pk]),
            event="datause.request_fulfilled",
            title=_("The data you asked for is published: %s") % found.title,
            link=reverse("catalog:dataset", args=[found.name]),
            skip=actor,
        )
    return request


def request_withdraw(*, actor: Any, request: DataRequest, expected_version: int | None = None) -> DataRequest:
    ensure_authenticated(actor)
    DataRequest.workflow.apply(request, "withdraw", actor=actor, expected_version=expected_version)
    return request
