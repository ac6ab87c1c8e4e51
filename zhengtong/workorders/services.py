"""Writes of work orders: open (with routing and deadline), the workflow actions, routing rules,
escalation of overdue work orders."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from zhengtong.accounts.models import Department, OrgUnit, User
from zhengtong.accounts.permissions import can, ensure_authenticated, ensure_can
from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core.errors import NotFound, RateLimited, ValidationError
from zhengtong.core.identifiers import IdentifierError, validate_mobile
from zhengtong.workorders import hooks
from zhengtong.workorders.models import (
    CATEGORIES,
    CITIZEN_KINDS,
    ROUTING_PERMISSIONS,
    Kind,
    RoutingDomain,
    RoutingRule,
    WorkOrder,
)
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

audit_actions.register(
    {
        "workorders.routing_rule.set": gettext_lazy("Set work-order routing rule"),
        "workorders.routing_rule.delete": gettext_lazy("Delete work-order routing rule"),
        "workorders.work_order.escalate": gettext_lazy("Escalate overdue work order"),
    }
)


def kind_days(kind: str) -> int:
    return {
        "consultation": settings.WORKORDERS_DAYS_CONSULTATION,
        "help": settings.WORKORDERS_DAYS_HELP,
        "suggestion": settings.WORKORDERS_DAYS_SUGGESTION,
        "complaint": settings.WORKORDERS_DAYS_COMPLAINT,
        "report": settings.WORKORDERS_DAYS_REPORT,
        "rectification": settings.WORKORDERS_DAYS_RECTIFICATION,
    }[kind]


def default_unit(region: OrgUnit) -> OrgUnit:
    """The office that dispatches when no rule matches: the region's township (街道/乡镇), or the
    county when the region is a county or above."""
    unit = region
    while unit.level in ("village", "grid") and unit.parent_id:
        unit = unit.parent
    return unit


def _path_prefixes(path: str) -> list[str]:
    prefixes = []
    while path:
        prefixes.append(path)
        path = path[: path.rstrip("/").rfind("/") + 1]
    return prefixes


def route_for(*, domain: str, category: str, region_path: str) -> RoutingRule | None:
    """The routing rule for ``category`` at the region with ``region_path`` (or a unit above it):
    a rule for the category beats one for any category, then the deepest region wins; None when
    no rule applies. One indexed query; work orders and grid incidents both route through it."""
    return (
        RoutingRule.objects.filter(
            domain=domain, category__in=[category, ""], region__path__in=_path_prefixes(region_path)
        )
        .select_related("department__org_unit", "target_unit", "region")
        .order_by("-category", "-region__depth", "id")
        .first()
    )


def route(category: str, region: OrgUnit) -> Department | None:
    """The department of the most specific routing rule for ``category`` at ``region`` or above."""
    rule = route_for(domain=RoutingDomain.WORK_ORDERS, category=category, region_path=region.path)
    return rule.department if rule else None


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
    via: str = "",
) -> WorkOrder:
    """Open a work order. A citizen opens their own (requester = themselves, citizen kinds only);
    anything else needs workorders.create at ``region``. Routed by category + region when
    ``department`` is None; the deadline is the kind's working days unless given.

    ``via`` marks a trusted internal call: another module (e.g. "services" for the
    rectification of a bad rating) opens the order on behalf of ``actor``, its requester, and
    has checked what it must; no role is asked and the creation names the actor and ``via``."""
    ensure_authenticated(actor)
    if kind not in Kind.values:
        raise ValidationError.for_field("kind", _("must be one of %s") % ", ".join(Kind.values))
    if category not in CATEGORIES:
        raise ValidationError.for_field("category", _("unknown category “%s”") % category)
    if not isinstance(region, OrgUnit):
        raise ValidationError.for_field("region", _("is required"))
    if via and (requester is None or requester.pk != actor.pk):
        raise ValueError("a work order opened on someone's behalf has them as its requester")
    self_service = requester is not None and requester.pk == actor.pk and kind in CITIZEN_KINDS
    if not self_service and not via:
        ensure_can(actor, "workorders.create", region)
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
    if self_service and not can(actor, "workorders.create", region):
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
    routed = department or route(category, region)
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
        )
        WORK_ORDER_FLOW.start(
            order,
            actor=actor,
            via=via,
            after={
                "kind": kind,
                "category": category,
                "region": region.code,
                "department": getattr(routed, "name", ""),
            },
        )
        if routed is not None:
            # Routing assigns at once (派单 by rule); the system dispatcher acts.
            from zhengtong.accounts.services import system_actor

            WORK_ORDER_FLOW.apply(order, "assign", actor=system_actor(), note=_("routed by rule"))
        # Other modules react once the work order exists for good (after the commit).
        transaction.on_commit(lambda: hooks.run_opened(order))
    return order


def _lock(order: WorkOrder) -> WorkOrder:
    return WorkOrder.objects.select_related("org_unit", "department", "requester").get(pk=order.pk)


def work_order_act(
    *,
    actor: Any,
    work_order: WorkOrder,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    department: Department | None = None,
    reply: str = "",
    satisfaction: int | None = None,
    master: WorkOrder | None = None,
) -> WorkOrder:
    """Take one workflow action on a work order (permission checked by the workflow at the
    work order's unit and department; a stale ``expected_version`` is a Conflict)."""
    ensure_authenticated(actor)
    t = WORK_ORDER_FLOW.transition(action)
    changes: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if not WORK_ORDER_FLOW.may(work_order, actor, t):
        from zhengtong.core.errors import PermissionDenied

        raise PermissionDenied(_("you may not “%s” this item") % t.label)
    if action in ("assign", "reassign"):
        if department is None:
            raise ValidationError.for_field("department", _("choose the department to handle it"))
        ensure_can(actor, "workorders.dispatch", department.org_unit)
        if department.pk == work_order.department_id and action == "reassign":
            raise ValidationError.for_field("department", _("it is already with this department"))
        changes.update(department_id=department.pk, org_unit_id=department.org_unit_id)
        data["department"] = department.name
    elif action == "return":
        # Back to the dispatching office of the region.
        changes.update(department_id=None, org_unit_id=default_unit(work_order.region).pk)
    elif action == "reply":
        data["reply"] = reply or ""
        if (reply or "").strip():
            if len(reply) > 4000:
                raise ValidationError.for_field("reply", _("at most %d characters") % 4000)
            changes.update(reply=reply.strip(), replied_at=timezone.now())
    elif action == "callback":
        data["satisfaction"] = satisfaction
        changes.update(satisfaction=satisfaction, callback_note=note.strip()[:2000])
    elif action == "merge":
        if master is None:
            raise ValidationError.for_field("master", _("the work order to merge into is required"))
        if master.pk == work_order.pk or master.merged_into_id is not None:
            raise ValidationError.for_field(
                "master", _("cannot merge into itself or into a merged work order")
            )
        if master.state == "closed":
            raise ValidationError.for_field("master", _("the master work order is closed"))
        from zhengtong.accounts.permissions import ensure_can_on

        ensure_can_on(actor, "workorders.view", master)
        data["master"] = master.number
        changes.update(merged_into_id=master.pk)
    if WORK_ORDER_FLOW.transition(action).target == "closed":
        changes["closed_at"] = timezone.now()
    if action == "reopen":
        changes["closed_at"] = None
    with transaction.atomic():
        WORK_ORDER_FLOW.apply(
            work_order,
            action,
            actor=actor,
            note=note,
            data=data,
            changes=changes,
            expected_version=expected_version,
        )
        if work_order.state == "closed":
            hooks.run_closed(work_order)
        _tell_requester(work_order, action)
    return work_order


def _tell_requester(order: WorkOrder, action: str) -> None:
    if order.requester_id is None or action not in ("reply", "close", "merge"):
        return
    from django.urls import reverse

    from zhengtong.notify.services import notify

    if action == "reply":
        title = _("Your work order %s has a reply") % order.number
        body = order.reply[:500]
    elif action == "merge":
        title = _("Your work order %s was merged") % order.number
        body = _("It is handled together with %s.") % order.merged_into.number
    else:
        title = _("Your work order %s is closed") % order.number
        body = ""
    notify(
        recipient=order.requester,
        event=f"workorders.{action}",
        title=title,
        body=body,
        link=reverse("workorders:mine_detail", args=[order.number]),
        channels=("inbox", "sms"),
    )


def work_order_get_by_number(number: str) -> WorkOrder:
    order = WorkOrder.objects.select_related("org_unit", "department", "region").filter(number=number).first()
    if order is None:
        raise NotFound(_("no such work order"))
    return order


# -- routing rules -----------------------------------------------------------------------------


def routing_rule_set(
    *,
    actor: Any,
    category: str,
    region: OrgUnit,
    department: Department | None = None,
    target_unit: OrgUnit | None = None,
    domain: str = RoutingDomain.WORK_ORDERS,
) -> RoutingRule:
    """Create or change the rule for (domain, category, region): to ``department`` or to
    ``target_unit`` (exactly one), which must cover the region or sit above it. Work-order rules
    name a category of ``CATEGORIES`` and a department; grid rules a grid category code or ""
    (any category; grid.services checks the code). Needs the domain's routing permission at the
    region; audited as ``workorders.routing_rule.set``."""
    if domain not in RoutingDomain.values:
        raise ValidationError.for_field("domain", _("unknown routing domain"))
    ensure_can(actor, ROUTING_PERMISSIONS[domain], region)
    if domain == RoutingDomain.WORK_ORDERS and category not in CATEGORIES:
        raise ValidationError.for_field("category", _("unknown category “%s”") % category)
    if (department is None) == (target_unit is None):
        raise ValidationError.for_field("department", _("choose a department or a township, not both"))
    if domain == RoutingDomain.WORK_ORDERS and department is None:
        raise ValidationError.for_field("department", _("is required"))
    target_path = department.org_unit.path if department is not None else target_unit.path
    if not target_path.startswith(region.path) and not region.path.startswith(target_path):
        raise ValidationError.for_field("department", _("must belong to the region or a unit above it"))
    with transaction.atomic():
        rule, created = RoutingRule.objects.update_or_create(
            domain=domain,
            category=category,
            region=region,
            defaults={"department": department, "target_unit": target_unit},
        )
        audit.record(
            actor=actor,
            action="workorders.routing_rule.set",
            target=rule,
            org_unit=region,
            after={
                **({"domain": domain} if domain != RoutingDomain.WORK_ORDERS else {}),
                "category": category,
                "region": region.code,
                **({"department": department.name} if department else {"unit": target_unit.code}),
            },
        )
    return rule


def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    ensure_can(actor, ROUTING_PERMISSIONS[rule.domain], rule.region)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="workorders.routing_rule.delete",
            target=rule,
            org_unit=rule.region,
            before={"category": rule.category, "region": rule.region.code},
        )
        rule.delete()


# -- escalation --------------------------------------------------------------------------------


def escalate_overdue(ids: list[int]) -> int:
    """Called by the SLA scan with a chunk of newly overdue work orders: mark them escalated (督办)
    with one UPDATE, record one audit event listing them, and send each supervisor whose scope
    holds some of them one message (not one per work order)."""
    from django.urls import reverse

    from zhengtong.notify.services import notify

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WorkOrder.objects.filter(pk__in=ids, escalated_at__isnull=True).values_list(
                "pk", "number", "org_unit__path"
            )
        )
        if not rows:
            return 0
        WorkOrder.objects.filter(pk__in=[r[0] for r in rows], escalated_at__isnull=True).update(
            escalated_at=now
        )
        audit.record(
            actor=None,
            action="workorders.work_order.escalate",
            target_type="workorders.workorder",
            target_id=str(rows[0][0]) if len(rows) == 1 else f"{len(rows)} work orders",
            target_label=rows[0][1] if len(rows) == 1 else f"{len(rows)}",
            after={"numbers": [r[1] for r in rows], "escalated_at": now},
        )
        # Each supervisor of some of them (at their unit or above, grant live) gets one message.
        numbers_of: dict[int, list[str]] = {}
        supervisors: dict[int, User] = {}
        by_path: dict[str, list[str]] = {}
        for _pk, number, path in rows:
            by_path.setdefault(path, []).append(number)
        for path, numbers in by_path.items():
            for user in holders_of("workorders.supervise", path):
                supervisors[user.pk] = user
                numbers_of.setdefault(user.pk, []).extend(numbers)
        for user_pk, mine in sorted(numbers_of.items()):
            notify(
                recipient=supervisors[user_pk],
                event="workorders.overdue",
                title=ngettext(
                    "%(count)d work order is overdue", "%(count)d work orders are overdue", len(mine)
                )
                % {"count": len(mine)},
                body=", ".join(mine[:20]) + (" …" if len(mine) > 20 else ""),
                link=reverse("workorders:worklist") + "?sla_state=overdue",
            )
    return len(rows)
