"""Opening work orders (with routing and deadline) and reading one by number."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_authenticated, ensure_can
from zhengtong.core.errors import NotFound, RateLimited, ValidationError
from zhengtong.core.identifiers import IdentifierError, validate_mobile
from zhengtong.workorders import hooks, selectors
from zhengtong.workorders.models import CITIZEN_KINDS, Kind, WorkOrder
from zhengtong.workorders.services.routing import default_unit, route
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department, OrgUnit

VIA = "workorders"


def kind_days(kind: str) -> int:
    return {
        "consultation": settings.WORKORDERS_DAYS_CONSULTATION,
        "help": settings.WORKORDERS_DAYS_HELP,
        "suggestion": settings.WORKORDERS_DAYS_SUGGESTION,
        "complaint": settings.WORKORDERS_DAYS_COMPLAINT,
        "report": settings.WORKORDERS_DAYS_REPORT,
        "rectification": settings.WORKORDERS_DAYS_RECTIFICATION,
    }[kind]


def category_check(category: str) -> None:
    """Refuse, naming the field, a category a new work order may not take: unknown, a first
    level, or inactive (itself or its first level)."""
    if category in selectors.category_codes():
        return
    if category in selectors.category_labels():
        raise ValidationError.for_field(
            "category",
            _("category “%s” is not open for new work orders (inactive or a first level)") % category,
        )
    raise ValidationError.for_field("category", _("unknown category “%s”") % category)


def _check_kind(kind: str, category: str, region: Any) -> None:
    if kind not in Kind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(Kind.values))
    category_check(category)
    if not account_selectors.is_org_unit(region):
        raise ValidationError.for_field("region", _("is required"))


def _number() -> str:
    return "GD" + timezone.localdate().strftime("%Y%m%d") + f"{secrets.randbelow(10**8):08d}"


def _text(field: str, value: Any, max_length: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


def work_order_open(
    *,
    actor: Any,
    kind: str,
    category: str,
    title: str,
    description: str,
    region: OrgUnit,
    requester: Any = None,
    department: Department | None = None,
    source_ref: str = "",
    due_working_days: int | None = None,
    contact_phone: str = "",
) -> WorkOrder:
    """Open a work order. A citizen opens their own (requester = themselves, citizen kinds only);
    anything else needs workorders.create at ``region``. Routed by category + region when
    ``department`` is None (a rule assigns it at once, recorded as the opener's via
    "workorders"); the deadline is the kind's working days unless given."""
    ensure_authenticated(actor)
    _check_kind(kind, category, region)
    self_service = requester is not None and requester.pk == actor.pk and kind in CITIZEN_KINDS
    if not self_service:
        ensure_can(actor, "workorders.create", region)
    return _open(
        actor=actor,
        kind=kind,
        category=category,
        title=title,
        description=description,
        region=region,
        requester=requester,
        department=department,
        source_ref=source_ref,
        due_working_days=due_working_days,
        contact_phone=contact_phone,
        quota=self_service and not can(actor, "workorders.create", region),
    )


def work_order_open_on_behalf(
    *,
    requester: Any,
    via: str,
    kind: str,
    category: str,
    title: str,
    description: str,
    region: OrgUnit,
    department: Department | None = None,
    source_ref: str = "",
    due_working_days: int | None = None,
) -> WorkOrder:
    """Trusted internal entry point: another module opens a work order as an effect of
    ``requester``'s own action (e.g. services opening a rectification for a citizen's bad
    rating, ``via="services"``). No workorders.create check and no daily quota (the calling
    module is responsible for why); the timeline and the audit events name ``requester`` as the
    actor and ``via`` as the module."""
    ensure_authenticated(requester)
    if not via:
        raise ValueError("work_order_open_on_behalf needs via (the calling module)")
    _check_kind(kind, category, region)
    return _open(
        actor=requester,
        kind=kind,
        category=category,
        title=title,
        description=description,
        region=region,
        requester=requester,
        department=department,
        source_ref=source_ref,
        due_working_days=due_working_days,
        contact_phone="",
        quota=False,
        via=via,
    )


def _open(
    *,
    actor: Any,
    kind: str,
    category: str,
    title: str,
    description: str,
    region: OrgUnit,
    requester: Any,
    department: Department | None,
    source_ref: str,
    due_working_days: int | None,
    contact_phone: str,
    quota: bool,
    via: str = "",
    extra: dict[str, Any] | None = None,
    routing: bool = True,
) -> WorkOrder:
    cleaned_title = _text("title", title, 200)
    cleaned_description = _text("description", description, 4000)
    phone = (contact_phone or "").strip()
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdentifierError as exc:
            raise ValidationError.for_field("contact_phone", str(exc)) from None
    if due_working_days is not None and (
        isinstance(due_working_days, bool)
        or not isinstance(due_working_days, int)
        or not 1 <= due_working_days <= 365
    ):
        raise ValidationError.for_field("due_working_days", _("must be between 1 and 365"))
    if len(source_ref) > 64:
        raise ValidationError.for_field("source_ref", _("at most %d characters") % 64)
    if quota:
        now = timezone.now()
        recent = WorkOrder.objects.filter(requester=actor, created_at__gte=now - timezone.timedelta(days=1))
        limit = settings.WORKORDERS_MAX_PER_DAY
        if (n := recent.count()) >= limit:
            # A quota over the last 24 hours in the database: free again when enough orders age out.
            frees = recent.order_by("created_at").values_list("created_at", flat=True)[n - limit]
            raise RateLimited(
                _("you have submitted too many work orders today; please try again tomorrow"),
                details={
                    "retry_after": max(
                        1, int((frees + timezone.timedelta(days=1) - now).total_seconds()) + 1
                    ),
                    "limit": limit,
                },
            )
    routed = department or (route(category, region) if routing else None)
    with transaction.atomic():
        order = WorkOrder.objects.create(
            number=_number(),
            kind=kind,
            category=category,
            title=cleaned_title,
            description=cleaned_description,
            region=region,
            org_unit=routed.org_unit if routed else default_unit(region),
            department=routed,
            requester=requester,
            contact_phone=phone,
            source_ref=source_ref,
            due_working_days=due_working_days or kind_days(kind),
            created_by=actor,
            state=WORK_ORDER_FLOW.initial,
            **(extra or {}),
        )
        WORK_ORDER_FLOW.start(
            order,
            actor=actor,
            after={
                "kind": kind,
                "category": category,
                "region": region.code,
                "department": getattr(routed, "name", ""),
            },
            via=via,
        )
        if routed is not None:
            # Routing assigns at once (派单 by rule): an effect of the opener's action through
            # this module's rules, not a dispatcher's decision.
            WORK_ORDER_FLOW.apply(order, "assign", actor=actor, note=_("routed by rule"), via=via or VIA)
        # Other modules react once the work order exists for good (after the commit).
        transaction.on_commit(lambda: hooks.run_opened(order))
    return order


def work_order_get_by_number(number: str) -> WorkOrder:
    order = WorkOrder.objects.select_related("org_unit", "department", "region").filter(number=number).first()
    if order is None:
        raise NotFound(_("no such work order"))
    return order
