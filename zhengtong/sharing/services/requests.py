"""Sharing requests (共享申请) and their decision by grade, ending in a grant."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, can_on, ensure_authenticated, ensure_can
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.privacy import grades
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import DeliveryMode, Grant, SharingProfile, SharingRequest, SharingType
from zhengtong.sharing.services.exchange import forget_grants

REGION_RE = re.compile(r"^\d{2,15}$")


def approvals_needed(request: SharingRequest) -> list[str]:
    """Who must approve, by the grade of the fields asked for: L1–L2 the owner department;
    L3 also the data security officer; L4 both, and only with a legal basis (checked at
    request time)."""
    if request.grade in ("L3", "L4"):
        return ["owner", "officer"]
    return ["owner"]


def capacities(actor: Any, request: SharingRequest) -> list[str]:
    """In which capacities ``actor`` may approve ``request`` ("owner", "officer")."""
    out = []
    if can_on(actor, "sharing.approve", request):
        out.append("owner")
    if can(actor, "sharing.approve_sensitive", request.org_unit):
        out.append("officer")
    return out


def _clean(profile: SharingProfile, **kw: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    fields = kw["fields"]
    if not isinstance(fields, list) or not fields:
        errors["fields"] = [_("choose at least one field")]
    else:
        for name in fields:
            spec = profile.field(name) if isinstance(name, str) else None
            if spec is None:
                errors["fields"] = [_("no field “%s”") % str(name)[:50]]
            elif not spec.get("shareable"):
                errors["fields"] = [_("the field “%s” may not be shared") % name]
    if not kw["purpose"].strip():
        errors["purpose"] = [_("state what the data is for")]
    if len(kw["purpose"]) > 2000:
        errors["purpose"] = [_("at most 2000 characters")]
    if len(kw["legal_basis"]) > 500:
        errors["legal_basis"] = [_("at most 500 characters")]
    if kw["row_scope"] and not REGION_RE.match(kw["row_scope"]):
        errors["row_scope"] = [_("a region code prefix of 2 to 15 digits")]
    elif kw["row_scope"] and not (profile.registry or profile.region_field):
        errors["row_scope"] = [_("the owner has named no region field for this source")]
    if kw["mode"] not in DeliveryMode.values:
        errors["mode"] = [_("unknown delivery mode")]
    elif profile.modes and kw["mode"] not in profile.modes:
        errors["mode"] = [_("the owner does not deliver this source in that mode")]
    rate = kw["rate_limit_per_minute"]
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int)
        or not 1 <= rate <= settings.SHARING_MAX_RATE_PER_MINUTE
    ):
        errors["rate_limit_per_minute"] = [
            _("between 1 and %d calls per minute") % settings.SHARING_MAX_RATE_PER_MINUTE
        ]
    today = timezone.localdate()
    until = kw["valid_until"]
    if not isinstance(until, dt.date) or until <= today:
        errors["valid_until"] = [_("a date after today")]
    elif (until - today).days > settings.SHARING_MAX_GRANT_DAYS:
        errors["valid_until"] = [_("at most %d days from today") % settings.SHARING_MAX_GRANT_DAYS]
    hf, ht = kw["hours_from"], kw["hours_to"]
    if not (isinstance(hf, int) and isinstance(ht, int) and 0 <= hf < ht <= 24):
        errors["hours_to"] = [_("hours from 0 to 24, the end after the start")]
    if len(kw["service_item_code"]) > 64:
        errors["service_item_code"] = [_("at most 64 characters")]
    return errors


def _grade_or_refuse(profile: SharingProfile, fields: list[str], legal_basis: str, errors: dict) -> str:
    """The grade of the requested fields; raises the field errors found so far, and a missing
    legal basis for conditional or L4 data (for local and other installations' requests alike)."""
    grade = grades.grade_max(profile.field(n)["grade"] for n in fields) if not errors else "L1"
    if not errors and not legal_basis and (grade == "L4" or profile.sharing_type == SharingType.CONDITIONAL):
        errors["legal_basis"] = [_("conditional and L4 data are shared only on a named legal basis")]
    if errors:
        raise ValidationError(fields=errors)
    return grade


@transaction.atomic
def request_create(
    *,
    actor: Any,
    profile: SharingProfile,
    fields: list[str],
    purpose: str,
    legal_basis: str = "",
    row_scope: str = "",
    mode: str = DeliveryMode.VERIFICATION,
    rate_limit_per_minute: int | None = None,
    valid_until: dt.date,
    hours_from: int = 0,
    hours_to: int = 24,
    service_item_code: str = "",
) -> SharingRequest:
    """A department's request for fields of ``profile``'s source, for a stated purpose, legal
    basis and period, optionally for a service item. The requester's department is the
    consumer. Starts the owner's clock (SHARING_DECISION_DAYS working days) and tells the
    owner's approvers."""
    ensure_authenticated(actor)
    department = getattr(actor, "department", None)
    if department is None:
        raise PermissionDenied(_("only staff of a department may request shared data"))
    ensure_can(actor, "sharing.request", actor.org_unit, department)
    if department.pk == profile.department_id:
        raise ValidationError.for_field("profile", _("your department owns this data already"))
    if profile.sharing_type == SharingType.NOT_SHARED:
        raise Conflict(_("this data is not shared: %s") % profile.legal_basis, code=SharingError.NOT_SHARED)
    rate = (
        settings.SHARING_DEFAULT_RATE_PER_MINUTE if rate_limit_per_minute is None else rate_limit_per_minute
    )
    legal_basis, purpose = (legal_basis or "").strip(), (purpose or "").strip()
    row_scope = (row_scope or "").strip()
    errors = _clean(
        profile,
        fields=fields,
        purpose=purpose,
        legal_basis=legal_basis,
        row_scope=row_scope,
        mode=mode,
        rate_limit_per_minute=rate,
        valid_until=valid_until,
        hours_from=hours_from,
        hours_to=hours_to,
        service_item_code=(service_item_code or "").strip(),
    )
    grade = _grade_or_refuse(profile, fields, legal_basis, errors)
    request = SharingRequest(
        profile=profile,
        org_unit=profile.org_unit,
        department=profile.department,
        consumer_department=department,
        consumer_org_unit=department.org_unit,
        requested_by=actor,
        fields=list(dict.fromkeys(fields)),
        grade=grade,
        purpose=purpose,
        legal_basis=legal_basis,
        row_scope=row_scope,
        mode=mode,
        rate_limit_per_minute=rate,
        valid_until=valid_until,
        hours_from=hours_from,
        hours_to=hours_to,
        service_item_code=(service_item_code or "").strip(),
        state=SharingRequest.workflow.initial,
    )
    SharingRequest.workflow.start_clock(request)
    request.save()
    SharingRequest.workflow.start(
        request,
        actor=actor,
        after={"state": request.state, "fields": request.fields, "grade": grade, "mode": mode},
    )
    _tell_owner(request)
    return request


def _tell_owner(request: SharingRequest) -> None:
    profile = request.profile
    for user in account_selectors.holders_of(
        "sharing.approve", profile.org_unit.path, department=profile.department, nearest=True
    ):
        notify(
            recipient=user,
            event="sharing.request",
            title=_("Sharing request from %(dept)s: %(title)s")
            % {"dept": request.consumer_label, "title": profile.title},
            link=f"/sharing/requests/{request.pk}/",
        )


@transaction.atomic
def request_create_remote(
    *,
    origin: str,
    reference: str,
    department: str,
    requester: str,
    profile: SharingProfile,
    fields: Any,
    purpose: Any,
    legal_basis: Any = "",
    row_scope: Any = "",
    mode: Any = DeliveryMode.VERIFICATION,
    rate_limit_per_minute: Any = None,
    valid_until: Any = None,
    hours_from: Any = 0,
    hours_to: Any = 24,
) -> SharingRequest:
    """A request that another installation (``origin``, in our trust list) sent signed on behalf
    of one of its departments (``peer_requests.incoming_request`` checked the signature): the
    same checks and the same decision flow, clock and approvers as a request of ours, the
    request marked with its origin. Batch delivery does not cross the boundary."""
    if profile.sharing_type == SharingType.NOT_SHARED:
        raise Conflict(_("this data is not shared: %s") % profile.legal_basis, code=SharingError.NOT_SHARED)
    if SharingRequest.objects.filter(origin=origin, origin_reference=reference).exists():
        raise Conflict(_("this request was received already"))
    rate = (
        settings.SHARING_DEFAULT_RATE_PER_MINUTE if rate_limit_per_minute is None else rate_limit_per_minute
    )
    text = {k: (v.strip() if isinstance(v, str) else "") for k, v in
            {"purpose": purpose, "legal_basis": legal_basis, "row_scope": row_scope}.items()}  # fmt: skip
    try:
        until = dt.date.fromisoformat(valid_until) if isinstance(valid_until, str) else None
    except ValueError:
        until = None
    errors = _clean(
        profile,
        fields=fields,
        rate_limit_per_minute=rate,
        valid_until=until,
        hours_from=hours_from,
        hours_to=hours_to,
        mode=mode,
        service_item_code="",
        **text,
    )
    if mode == DeliveryMode.BATCH:
        errors["mode"] = [_("batch extracts are not delivered to other installations")]
    grade = _grade_or_refuse(profile, fields, text["legal_basis"], errors)
    request = SharingRequest(
        profile=profile,
        org_unit=profile.org_unit,
        department=profile.department,
        origin=origin,
        origin_reference=reference,
        origin_department=department[:200],
        origin_requester=requester[:200],
        fields=list(dict.fromkeys(fields)),
        grade=grade,
        mode=mode,
        rate_limit_per_minute=rate,
        valid_until=until,
        hours_from=hours_from,
        hours_to=hours_to,
        state=SharingRequest.workflow.initial,
        **text,
    )
    SharingRequest.workflow.start_clock(request)
    request.save()
    SharingRequest.workflow.start(
        request,
        actor=None,
        via="sharing",
        after={
            "state": request.state,
            "fields": request.fields,
            "grade": grade,
            "mode": mode,
            "origin": origin,
        },
    )
    _tell_owner(request)
    return request


@transaction.atomic
def request_approve(*, actor: Any, request: SharingRequest, note: str = "") -> SharingRequest:
    """One approval of ``request``. When the approvals its grade needs are complete (the owner
    department, and for L3–L4 also the data security officer, two different people), the
    request is approved and its grant created; otherwise it is partly approved."""
    ensure_authenticated(actor)
    mine = capacities(actor, request)
    if not mine:
        raise PermissionDenied(_("you may not decide this request"))
    given = {a["as"] for a in request.approvals}
    if any(a["user"] == actor.pk for a in request.approvals):
        raise Conflict(_("you have approved this request already; another approver must decide"))
    needed = [c for c in approvals_needed(request) if c not in given]
    capacity = next((c for c in needed if c in mine), None)
    if capacity is None:
        raise PermissionDenied(
            _("the remaining approval must come from: %s")
            % ", ".join(
                str(_("the data security officer") if c == "officer" else _("the owner department"))
                for c in needed
            )
        )
    approvals = [
        *request.approvals,
        {
            "user": actor.pk,
            "username": actor.get_username(),
            "as": capacity,
            "at": timezone.now().isoformat(),
        },
    ]
    complete = len(needed) == 1
    if complete:
        request.workflow.apply(request, "approve", actor=actor, note=note, changes={"approvals": approvals})
        grant = _grant_create(request, actor)
        if request.requested_by_id:  # another installation's requester hears it from there
            notify(
                recipient=request.requested_by,
                event="sharing.approved",
                title=_("Sharing request approved: %s") % request.profile.title,
                link=f"/sharing/grants/{grant.pk}/",
            )
    else:
        if request.state != "pending":
            raise Conflict(_("this request waits for another approver"))
        request.workflow.apply(request, "endorse", actor=actor, note=note, changes={"approvals": approvals})
    return request


def _grant_create(request: SharingRequest, actor: Any) -> Grant:
    end = dt.datetime.combine(request.valid_until, dt.time.max)
    grant = Grant(
        request=request,
        profile=request.profile,
        org_unit=request.org_unit,
        department=request.department,
        consumer_department=request.consumer_department,
        consumer_org_unit=request.consumer_org_unit,
        consumer_installation=request.origin,
        fields=request.fields,
        row_scope=request.row_scope,
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        mode=request.mode,
        rate_limit_per_minute=request.rate_limit_per_minute,
        hours_from=request.hours_from,
        hours_to=request.hours_to,
        expires_at=timezone.make_aware(end),
        service_item_code=request.service_item_code,
        state=Grant.workflow.initial,
    )
    grant.save()
    Grant.workflow.start(
        grant,
        actor=actor,
        after={"state": grant.state, "request": request.pk, "fields": grant.fields, "mode": grant.mode},
    )
    forget_grants()  # a department's grants for cases (verify_for_case) now include it
    return grant


@transaction.atomic
def request_reject(*, actor: Any, request: SharingRequest, note: str) -> SharingRequest:
    """Refuse ``request`` with a reason (the owner or the data security officer)."""
    request.workflow.apply(request, "reject", actor=actor, note=note, changes={"decision_note": note[:500]})
    if not request.requested_by_id:
        return request
    notify(
        recipient=request.requested_by,
        event="sharing.rejected",
        title=_("Sharing request refused: %s") % request.profile.title,
        body=note,
        link=f"/sharing/requests/{request.pk}/",
    )
    return request


@transaction.atomic
def request_withdraw(*, actor: Any, request: SharingRequest) -> SharingRequest:
    """The requester takes back an undecided request."""
    request.workflow.apply(request, "withdraw", actor=actor)
    return request
