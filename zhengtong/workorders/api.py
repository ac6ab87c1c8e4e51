from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ninja import Query, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.core.workflow import timeline
from zhengtong.workorders import actions, hooks, selectors, services
from zhengtong.workorders.models import Kind, RoutingRule, WorkOrder
from zhengtong.workorders.workflows import WORK_ORDER_FLOW

if TYPE_CHECKING:
    from zhengtong.accounts.models import OrgUnit

router = Router(tags=["workorders"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {"workorders_categories"}


class Choice(Schema):
    code: str
    label: str
    working_days: int | None = None


class CategoryOut(Schema):
    code: str
    label: str
    group: str


class CategoryGroupOut(Schema):
    code: str
    label: str
    categories: list[Choice]


class CategoriesOut(Schema):
    kinds: list[Choice]
    categories: list[CategoryOut]
    groups: list[CategoryGroupOut]


@router.get(
    "/categories", auth=None, response={200: CategoriesOut, **ERRORS}, operation_id="workorders_categories"
)
def categories(request):
    """Kinds (with their working-day time limits) and the categories a new work order may take
    (GB/T 39666 two levels): ``groups`` lists each active first level with its active
    second-level categories; ``categories`` the same second-level codes flat, with their first
    level (``group``). A work order's ``category`` is one of these codes."""
    return {
        "kinds": [
            {"code": k, "label": str(lbl), "working_days": services.kind_days(k)} for k, lbl in Kind.choices
        ],
        "categories": [
            {"code": code, "label": label, "group": top_code}
            for top_code, _top, children in selectors.category_tree()
            for code, label in children
        ],
        "groups": [
            {"code": top_code, "label": top, "categories": [{"code": c, "label": lbl} for c, lbl in children]}
            for top_code, top, children in selectors.category_tree()
        ],
    }


class WorkOrderOut(Schema):
    number: str
    kind: str
    category: str
    title: str
    description: str
    region: str
    org_unit: str
    department: str | None
    state: str
    state_label: str
    version: int
    sla_deadline: dt.date | None
    sla_state: str
    reply: str
    replied_at: dt.datetime | None
    satisfaction: int | None
    merged_into: str | None
    source_ref: str
    created_at: dt.datetime
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_region(obj: WorkOrder) -> str:
        return obj.region.code

    @staticmethod
    def resolve_org_unit(obj: WorkOrder) -> str:
        return obj.org_unit.code

    @staticmethod
    def resolve_department(obj: WorkOrder) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_merged_into(obj: WorkOrder) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None


class StaffWorkOrderOut(WorkOrderOut):
    contact_phone_masked: str
    caller_name_masked: str
    channel: str
    knowledge_ref: str
    answered_directly: bool
    escalated_at: dt.datetime | None
    actions: list[str]


class WorkOrderPage(Schema):
    items: list[WorkOrderOut]
    next: str | None


class WorkOrderIn(Schema):
    kind: str
    category: str
    title: str
    description: str
    region: str
    contact_phone: str = ""


def _unit(code: str, field: str) -> OrgUnit:
    unit = account_selectors.org_unit_by_code(code)
    if unit is None:
        raise ValidationError.for_field(field, "unknown region code")
    return unit


@router.post("", response={201: WorkOrderOut, **ERRORS}, operation_id="workorders_submit")
def submit(request, payload: WorkOrderIn):
    """Submit a consultation, request for help, suggestion, complaint or report (掌上咨询/投诉)."""
    ensure_authenticated(request.auth)
    order = services.work_order_open(
        actor=request.auth,
        requester=request.auth,
        kind=payload.kind,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        region=_unit(payload.region, "region"),
        contact_phone=payload.contact_phone,
    )
    return Status(201, order)


class PageQuery(Schema):
    cursor: str | None = None
    limit: int | None = None


@router.get("/mine", response={200: WorkOrderPage, **ERRORS}, operation_id="workorders_mine")
def mine(request, f: Query[PageQuery]):
    """Your own work orders, newest first."""
    ensure_authenticated(request.auth)
    page = keyset_page(
        selectors.mine(request.auth).select_related("region", "merged_into"),
        order=["-created_at", "-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit),
    )
    return {"items": page.items, "next": page.next_cursor}


@router.get("/mine/{number}", response={200: WorkOrderOut, **ERRORS}, operation_id="workorders_mine_detail")
def mine_detail(request, number: str):
    """One of the caller's own 12345 work orders with its replies."""
    ensure_authenticated(request.auth)
    return selectors.my_work_order(request.auth, number)


class WorklistQuery(Schema):
    state: str = ""
    kind: str = ""
    category: str = ""
    sla_state: str = ""
    q: str = ""
    cursor: str | None = None
    limit: int | None = None


class StaffPage(Schema):
    items: list[WorkOrderOut]
    next: str | None
    counts: dict[str, int]


@router.get("/worklist", response={200: StaffPage, **ERRORS}, operation_id="workorders_worklist")
def worklist(request, f: Query[WorklistQuery]):
    """Work orders in your scope (your units, limited to your department where your grant is),
    with filters and per-state counts."""
    ensure_can(request.auth, "workorders.view")
    filters = {k: getattr(f, k) for k in selectors.FILTERS}
    page = keyset_page(
        selectors.worklist(request.auth, filters=filters, q=f.q),
        order=["-created_at", "-id"],
        cursor=f.cursor,
        limit=clamp_limit(f.limit),
    )
    return {"items": page.items, "next": page.next_cursor, "counts": selectors.worklist_counts(request.auth)}


class CallIn(Schema):
    phone: str
    caller_name: str = ""
    kind: str = "consultation"
    category: str
    title: str
    description: str
    region: str
    knowledge_ref: str = ""
    answered_directly: bool = False


@router.post("/calls", response={201: StaffWorkOrderOut, **ERRORS}, operation_id="workorders_call_log")
def call_log(request, payload: CallIn):
    """Log a 12345 call (workorders.create at the region) for a caller known only by mobile number:
    no account is needed and the caller is told of each step by SMS. ``knowledge_ref``
    (``knowledge:<id>``) names the knowledge-base entry used; with ``answered_directly`` (a
    consultation) its answer is the reply and the work order closes at once, which counts towards
    the knowledge base's use rate. The caller's number and name are returned masked."""
    order = services.call_log(
        actor=request.auth,
        phone=payload.phone,
        caller_name=payload.caller_name,
        kind=payload.kind,
        category=payload.category,
        title=payload.title,
        description=payload.description,
        region=_unit(payload.region, "region"),
        knowledge_ref=payload.knowledge_ref,
        answered_directly=payload.answered_directly,
    )
    return Status(201, _staff_out(selectors.work_order_for_staff(request.auth, order.number), request.auth))


class AnswerOut(Schema):
    ref: str
    title: str
    body: str
    url: str


@router.get("/suggestions", response={200: list[AnswerOut], **ERRORS}, operation_id="workorders_suggestions")
def suggestions(request, q: str = ""):
    """Suggested answers from the knowledge base for a call's words (workorders.create): the
    entries the operator may read whose text contains every word (Chinese or pinyin)."""
    ensure_can(request.auth, "workorders.create")
    return hooks.knowledge_search(request.auth, q.strip()[:100], 5) if q.strip() else []


class CountOut(Schema):
    code: str
    label: str
    count: int


class DayOut(Schema):
    day: dt.date
    count: int


class HotspotOut(Schema):
    category: str
    region: str
    count: int


class AnalysisOut(Schema):
    days: int
    since: dt.date
    total: int
    by_category: list[CountOut]
    by_first_level: list[CountOut]
    by_region: list[CountOut]
    trend: list[DayOut]
    hotspots: list[HotspotOut]
    hotline_calls: int
    answered_directly: int
    knowledge_use_rate: float | None
    callback_rate: float | None
    dissatisfied_share: float | None


@router.get("/analysis", response={200: AnalysisOut, **ERRORS}, operation_id="workorders_analysis")
def analysis(request, days: int = 30):
    """Hotspots and trends of the work orders in your scope opened in the last ``days`` (1–366)
    days (workorders.view): counts by category (second level, and ``by_first_level`` summed
    over the GB/T 39666 first levels), region and day, the top category × region pairs,
    the knowledge base's use rate (12345 calls answered directly from it), the call-back rate and
    the share of call-backs dissatisfied. Rectifications are not counted."""
    ensure_can(request.auth, "workorders.view")
    return selectors.analysis(request.auth, days=days)


def _staff_out(order: WorkOrder, user) -> WorkOrder:
    order.actions = [t.name for t in WORK_ORDER_FLOW.available(order, user) if t.name in actions.ACTIONS]
    return order


@router.get("/{number}", response={200: StaffWorkOrderOut, **ERRORS}, operation_id="workorders_detail")
def detail(request, number: str):
    """A work order in your scope, with the actions you may take now."""
    return _staff_out(selectors.work_order_for_staff(request.auth, number), request.auth)


class ActionIn(Schema):
    action: str
    version: int
    note: str = ""
    department_id: int | None = None
    reply: str = ""
    satisfaction: int | None = None
    master: str = ""


@router.post("/{number}/actions", response={200: StaffWorkOrderOut, **ERRORS}, operation_id="workorders_act")
def act(request, number: str, payload: ActionIn):
    """Take an action: assign / reassign (department_id), take, return, reply (reply), callback
    (satisfaction 1–5), close, merge (master number), reopen. ``version`` guards against
    concurrent changes (409)."""
    order = selectors.work_order_for_staff(request.auth, number)
    department = None
    if payload.department_id is not None:
        department = account_selectors.department_by_id(payload.department_id)
        if department is None:
            raise ValidationError.for_field("department_id", "unknown department")
    master = None
    if payload.master:
        try:
            master = selectors.work_order_for_staff(request.auth, payload.master)
        except NotFound:
            raise ValidationError.for_field("master", "unknown work order") from None
    actions.work_order_action(
        actor=request.auth,
        work_order=order,
        action=payload.action,
        note=payload.note,
        expected_version=payload.version,
        department=department,
        reply=payload.reply,
        satisfaction=payload.satisfaction,
        master=master,
    )
    return _staff_out(selectors.work_order_for_staff(request.auth, number), request.auth)


class TimelineOut(Schema):
    transition: str
    from_state: str
    to_state: str
    actor_label: str
    note: str
    at: dt.datetime


@router.get(
    "/{number}/timeline", response={200: list[TimelineOut], **ERRORS}, operation_id="workorders_timeline"
)
def order_timeline(request, number: str):
    """A work order's timeline: assignments, transfers, replies and SLA events."""
    ensure_authenticated(request.auth)
    try:
        order = selectors.my_work_order(request.auth, number)
    except NotFound:
        order = selectors.work_order_for_staff(request.auth, number)
    return timeline(order)


class CategoryStateOut(Schema):
    code: str
    label: str
    active: bool
    open: bool


class CategoryListOut(CategoryStateOut):
    children: list[CategoryStateOut]


class CategoryStateIn(Schema):
    active: bool


@router.get(
    "/categories/all",
    response={200: list[CategoryListOut], **ERRORS},
    operation_id="workorders_category_list",
)
def category_list(request):
    """The whole 12345 category list (GB/T 39666 two levels), closed categories included, for
    staff (workorders.view): ``active`` is a category's own flag, ``open`` whether new work
    orders may take it (a second level is open only under an open first level)."""
    ensure_can(request.auth, "workorders.view")
    return selectors.category_list()


@router.post(
    "/categories/all/{code}",
    response={200: CategoryStateOut, **ERRORS},
    operation_id="workorders_category_set_active",
)
def category_set_active(request, code: str, payload: CategoryStateIn):
    """Open or close a category for new work orders (workorders.manage_routing at the province;
    audited). Closing a first level closes its categories; filed work orders keep theirs."""
    category = services.category_set_active(actor=request.auth, code=code, active=payload.active)
    parent_open = category.parent is None or category.parent.active
    return {
        "code": category.code,
        "label": selectors.category_label(category.code),
        "active": category.active,
        "open": category.active and parent_open,
    }


class RuleOut(Schema):
    id: int
    category: str
    region: str
    department_id: int
    department: str

    @staticmethod
    def resolve_region(obj: RoutingRule) -> str:
        return obj.region.code

    @staticmethod
    def resolve_department(obj: RoutingRule) -> str:
        return obj.department.name


class RuleIn(Schema):
    category: str
    region: str
    department_id: int


@router.get("/routing-rules/all", response={200: list[RuleOut], **ERRORS}, operation_id="workorders_rules")
def rules(request):
    """All routing rules (category and area to department) in evaluation order, for staff who manage routing."""
    ensure_can(request.auth, "workorders.view")
    return list(selectors.routing_rules())


@router.post("/routing-rules/all", response={200: RuleOut, **ERRORS}, operation_id="workorders_rule_set")
def rule_set(request, payload: RuleIn):
    """Create or change the rule for (category, region) (workorders.manage_routing)."""
    department = account_selectors.department_by_id(payload.department_id)
    if department is None:
        raise ValidationError.for_field("department_id", "unknown department")
    return services.routing_rule_set(
        actor=request.auth,
        category=payload.category,
        region=_unit(payload.region, "region"),
        department=department,
    )
