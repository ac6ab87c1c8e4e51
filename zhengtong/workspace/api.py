"""The workspace's REST API (/api/v1/workspace): directory, conversations and messages with read
receipts, tasks and 督办, approvals, documents, knowledge base, Web Push."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Query, Router, Schema, Status

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import Message

router = Router(tags=["workspace"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = {"workspace_knowledge_search", "workspace_push_key"}


def _staff(request):
    ensure_authenticated(request.user)
    ensure_can(request.user, "workspace.use")
    return request.user


# --- Directory ---------------------------------------------------------------------------------


class DirectoryEntryOut(Schema):
    user_id: int
    name: str
    initials: str
    org_unit: str
    department: str | None
    position: str
    duties: str
    office_phone: str
    mobile: str
    status: str
    is_leader: bool

    @staticmethod
    def resolve_org_unit(obj) -> str:
        return obj.org_unit.name

    @staticmethod
    def resolve_department(obj) -> str | None:
        return obj.department.name if obj.department_id else None

    @staticmethod
    def resolve_mobile(obj) -> str:
        return obj.mobile_shown


class DirectoryEntryPage(Schema):
    items: list[DirectoryEntryOut]
    next: str | None = None


class DirectorySearchQuery(Schema):
    q: str = ""
    department: int | None = None
    limit: int = 50


@router.get("/directory", response={200: DirectoryEntryPage, **ERRORS}, operation_id="workspace_directory")
def directory(request, f: Query[DirectorySearchQuery]):
    """Colleagues in the caller's directory scope, by Chinese name, pinyin initials or full
    pinyin, or department; mobile numbers outside the caller's own unit are masked."""
    user = _staff(request)
    if not 1 <= f.limit <= 100:
        raise ValidationError.for_field("limit", "from 1 to 100")
    return {"items": selectors.directory_search(user, q=f.q, department_id=f.department, limit=f.limit)}


# --- Conversations -----------------------------------------------------------------------------


class WorkspaceConversationOut(Schema):
    id: int
    kind: str
    title: str
    ref: str | None
    last_seq: int
    last_message_at: dt.datetime | None
    unread: int = 0


class WorkspaceConversationPage(Schema):
    items: list[WorkspaceConversationOut]
    next: str | None = None


@router.get(
    "/conversations",
    response={200: WorkspaceConversationPage, **ERRORS},
    operation_id="workspace_conversations",
)
def conversations(request):
    """The caller's conversations, latest first, with unread counts."""
    return {"items": selectors.conversations_for(_staff(request))}


class DirectConversationIn(Schema):
    user_id: int


@router.post(
    "/conversations/direct",
    response={200: WorkspaceConversationOut, **ERRORS},
    operation_id="workspace_direct",
)
def direct(request, payload: DirectConversationIn):
    """The one-to-one conversation with a colleague (refused outside the directory scope)."""
    user = _staff(request)
    other = account_selectors.users_by_ids([payload.user_id]).first()
    if other is None:
        raise NotFound("no such user")
    return services.conversation_direct(actor=user, other=other)


class GroupConversationIn(Schema):
    title: str
    member_ids: list[int]


@router.post(
    "/conversations",
    response={201: WorkspaceConversationOut, **ERRORS},
    operation_id="workspace_group_create",
)
def group_create(request, payload: GroupConversationIn):
    """A group conversation with colleagues from the caller's directory."""
    conv = services.conversation_group_create(
        actor=_staff(request), title=payload.title, member_ids=payload.member_ids
    )
    return Status(201, conv)


class ConversationMessageOut(Schema):
    id: int
    seq: int
    sender: str
    body: str
    urgent: bool
    attachment_name: str
    created_at: dt.datetime

    @staticmethod
    def resolve_sender(obj: Message) -> str:
        return str(obj.sender)


class ConversationMessagePage(Schema):
    items: list[ConversationMessageOut]
    next: str | None = None


@router.get(
    "/conversations/{conversation_id}/messages",
    response={200: ConversationMessagePage, **ERRORS},
    operation_id="workspace_messages",
)
def messages_list(request, conversation_id: int, before_seq: int | None = None):
    """The last 50 messages (before ``before_seq``); members only."""
    member = selectors.membership(_staff(request), conversation_id)
    rows = selectors.conversation_messages(member, before_seq=before_seq)
    return {"items": rows, "next": str(rows[0].seq) if len(rows) == 50 else None}


class ConversationMessageIn(Schema):
    body: str
    urgent: bool = False
    sms_after_minutes: int | None = None


@router.post(
    "/conversations/{conversation_id}/messages",
    response={201: ConversationMessageOut, **ERRORS},
    operation_id="workspace_message_send",
)
def message_send(request, conversation_id: int, payload: ConversationMessageIn):
    """Post a message; ``urgent`` makes it a DING notice escalated by SMS when unread."""
    user = _staff(request)
    if not payload.urgent and payload.sms_after_minutes is None:
        # The hot path: one statement on PostgreSQL (membership, number, message, read position).
        return Status(
            201, services.message_post(actor=user, conversation_id=conversation_id, body=payload.body)
        )
    member = selectors.membership(user, conversation_id)
    message = services.message_send(
        actor=user,
        conversation=member.conversation,
        body=payload.body,
        urgent=payload.urgent,
        sms_after_minutes=payload.sms_after_minutes,
    )
    return Status(201, message)


class ConversationReadOut(Schema):
    last_read_seq: int


@router.post(
    "/conversations/{conversation_id}/read",
    response={200: ConversationReadOut, **ERRORS},
    operation_id="workspace_read",
)
def read(request, conversation_id: int):
    """Mark the conversation read (read receipts)."""
    user = _staff(request)
    member = selectors.membership(user, conversation_id)
    return {"last_read_seq": services.conversation_read(actor=user, conversation=member.conversation)}


class ReadReceiptOut(Schema):
    user_id: int
    name: str
    read_at: dt.datetime | None
    sms_at: dt.datetime | None


class ReadReceiptsOut(Schema):
    read: list[ReadReceiptOut]
    unread: list[ReadReceiptOut]


def _receipt(row: dict) -> dict:
    return {
        "user_id": row["user"].pk,
        "name": str(row["user"]),
        "read_at": row["read_at"],
        "sms_at": row["sms_at"],
    }


@router.get(
    "/messages/{message_id}/receipts",
    response={200: ReadReceiptsOut, **ERRORS},
    operation_id="workspace_receipts",
)
def receipts(request, message_id: int):
    """Who has read a message and who has not."""
    data = selectors.message_receipts(_staff(request), message_id)
    return {"read": [_receipt(r) for r in data["read"]], "unread": [_receipt(r) for r in data["unread"]]}


# --- Tasks -------------------------------------------------------------------------------------


class AssignedTaskOut(Schema):
    id: int
    title: str
    state: str
    state_label: str
    version: int
    parent_id: int | None
    assignee: str
    due_working_days: int
    sla_deadline: dt.date | None
    sla_state: str
    progress: int

    @staticmethod
    def resolve_assignee(obj) -> str:
        return obj.assignee_label


class AssignedTaskPage(Schema):
    items: list[AssignedTaskOut]
    next: str | None = None


@router.get("/tasks", response={200: AssignedTaskPage, **ERRORS}, operation_id="workspace_tasks")
def tasks(request, view: str = "mine"):
    """``mine`` (assigned to me, my department or unit) or ``assigned`` (given by me)."""
    if view not in ("mine", "assigned"):
        raise ValidationError.for_field("view", "mine or assigned")
    return {"items": selectors.tasks_for(_staff(request), view=view)}


class TaskAssignIn(Schema):
    title: str
    description: str = ""
    due_working_days: int
    assignee_id: int | None = None
    department_ids: list[int] = []
    unit_codes: list[str] = []
    parent_id: int | None = None


@router.post("/tasks", response={201: AssignedTaskOut, **ERRORS}, operation_id="workspace_task_assign")
def task_assign(request, payload: TaskAssignIn):
    """Assign a task to one person, or to departments / org units (one sub-task each)."""
    user = _staff(request)
    assignee = None
    if payload.assignee_id is not None:
        assignee = account_selectors.users_by_ids([payload.assignee_id]).first()
        if assignee is None:
            raise ValidationError.for_field("assignee_id", "no such user")
    depts = []
    for pk in payload.department_ids[:50]:
        dept = account_selectors.department_by_id(pk)
        if dept is None:
            raise ValidationError.for_field("department_ids", f"no department {pk}")
        depts.append(dept)
    units = list(account_selectors.org_units_with_codes(payload.unit_codes[:50]))
    if len(units) != len(set(payload.unit_codes[:50])):
        raise ValidationError.for_field("unit_codes", "unknown region code")
    parent = selectors.task_for(user, payload.parent_id) if payload.parent_id else None
    task = services.task_assign(
        actor=user,
        title=payload.title,
        description=payload.description,
        due_working_days=payload.due_working_days,
        assignee=assignee,
        departments=depts,
        units=units,
        parent=parent,
    )
    return Status(201, task)


class AssignedTaskActionIn(Schema):
    action: str
    note: str = ""


@router.post(
    "/tasks/{task_id}/actions",
    response={200: AssignedTaskOut, **ERRORS},
    operation_id="workspace_task_action",
)
def task_action(request, task_id: int, payload: AssignedTaskActionIn):
    """start, complete, accept, return (note), cancel (note)."""
    user = _staff(request)
    task = selectors.task_for(user, task_id)
    fns = {
        "start": lambda: services.task_start(actor=user, task=task),
        "complete": lambda: services.task_complete(actor=user, task=task, note=payload.note),
        "accept": lambda: services.task_accept(actor=user, task=task),
        "return": lambda: services.task_return(actor=user, task=task, note=payload.note),
        "cancel": lambda: services.task_cancel(actor=user, task=task, note=payload.note),
    }
    if payload.action not in fns:
        raise ValidationError.for_field("action", "one of " + ", ".join(fns))
    return fns[payload.action]()


class TaskProgressIn(Schema):
    text: str
    percent: int


@router.post(
    "/tasks/{task_id}/progress",
    response={200: AssignedTaskOut, **ERRORS},
    operation_id="workspace_task_progress",
)
def task_progress(request, task_id: int, payload: TaskProgressIn):
    """A progress report by the assignee."""
    user = _staff(request)
    task = selectors.task_for(user, task_id)
    services.task_report_progress(actor=user, task=task, text_=payload.text, percent=payload.percent)
    return task


class SupervisionItem(Schema):
    kind: str
    ref: str
    title: str
    deadline: dt.date | None


class SupervisionOut(Schema):
    totals: dict[str, int]
    by_state: dict[str, dict[str, int]]
    overdue: list[SupervisionItem]


@router.get("/supervision", response={200: SupervisionOut, **ERRORS}, operation_id="workspace_supervision")
def supervision(request):
    """The 督办 view: tasks in the caller's scope by state and lateness; overdue tasks, cases,
    incidents and work orders."""
    user = _staff(request)
    ensure_can(user, "workspace.supervise")
    data = selectors.supervision_view(user)
    overdue = [
        {"kind": "task", "ref": str(t.pk), "title": t.title, "deadline": t.sla_deadline}
        for t in data["overdue_tasks"]
    ]
    overdue += [
        {"kind": "case", "ref": c.number, "title": str(c.item), "deadline": c.sla_deadline}
        for c in data["overdue_cases"]
    ]
    overdue += [
        {"kind": "incident", "ref": str(i.pk), "title": i.description[:80], "deadline": i.sla_deadline}
        for i in data["overdue_incidents"]
    ]
    overdue += [
        {"kind": "work_order", "ref": w.number, "title": w.title, "deadline": w.sla_deadline}
        for w in data["overdue_work_orders"]
    ]
    return {"totals": data["totals"], "by_state": data["by_state"], "overdue": overdue}


# --- Approvals ---------------------------------------------------------------------------------


class ApprovalRequestOut(Schema):
    id: int
    kind: str
    title: str
    state: str
    amount_fen: int | None
    start_date: dt.date | None
    end_date: dt.date | None


class ApprovalRequestIn(Schema):
    kind: str
    title: str
    details: str = ""
    amount_fen: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


@router.post(
    "/approvals", response={201: ApprovalRequestOut, **ERRORS}, operation_id="workspace_approval_submit"
)
def approval_submit(request, payload: ApprovalRequestIn):
    """File a leave, procurement or publication request."""
    approval = services.approval_submit(actor=_staff(request), **payload.dict())
    return Status(201, approval)


class ApprovalDecisionIn(Schema):
    decision: str
    note: str = ""


@router.post(
    "/approvals/{approval_id}/decision",
    response={200: ApprovalRequestOut, **ERRORS},
    operation_id="workspace_approval_decide",
)
def approval_decide(request, approval_id: int, payload: ApprovalDecisionIn):
    """approve, endorse, approve_final or reject (note); never one's own request."""
    user = _staff(request)
    approval = selectors.approval_for(user, approval_id)
    return services.approval_decide(
        actor=user, approval=approval, decision=payload.decision, note=payload.note
    )


# --- Documents ---------------------------------------------------------------------------------


class OutgoingDocumentOut(Schema):
    id: int
    title: str
    state: str
    doc_number: str
    issuer: str
    seal_code: str
    pdf_sha256: str


class OutgoingDocumentActionIn(Schema):
    action: str
    note: str = ""
    department_ids: list[int] = []
    unit_codes: list[str] = []


@router.post(
    "/documents/{document_id}/actions",
    response={200: OutgoingDocumentOut, **ERRORS},
    operation_id="workspace_document_action",
)
def document_action(request, document_id: int, payload: OutgoingDocumentActionIn):
    """route (department_ids), countersign, return (note), sign (签发), number, issue
    (unit_codes), file."""
    user = _staff(request)
    doc = selectors.outgoing_get(user, document_id)
    action = payload.action
    if action == "route":
        depts = [
            d for d in (account_selectors.department_by_id(pk) for pk in payload.department_ids[:50]) if d
        ]
        return services.document_route(actor=user, document=doc, departments=depts)
    if action == "countersign":
        services.document_countersign(actor=user, document=doc, opinion=payload.note)
        return doc
    if action == "return":
        return services.document_return(actor=user, document=doc, note=payload.note)
    if action == "sign":
        return services.document_sign(actor=user, document=doc)
    if action == "number":
        return services.document_number(actor=user, document=doc)
    if action == "issue":
        units = list(account_selectors.org_units_with_codes(payload.unit_codes[:100]))
        return services.document_issue(actor=user, document=doc, recipients=[(u, None) for u in units])
    if action == "file":
        return services.document_file(actor=user, document=doc)
    raise ValidationError.for_field("action", "route, countersign, return, sign, number, issue or file")


# --- Knowledge base and push -------------------------------------------------------------------


class KnowledgeEntryOut(Schema):
    id: int
    kind: str
    visibility: str
    title: str
    body: str
    tags: str
    updated_at: dt.datetime


class KnowledgeEntryPage(Schema):
    items: list[KnowledgeEntryOut]
    next: str | None = None


@router.get(
    "/knowledge",
    auth=None,
    response={200: KnowledgeEntryPage, **ERRORS},
    operation_id="workspace_knowledge_search",
)
def knowledge_search(request, q: str = "", kind: str = ""):
    """Public entries for anyone (rate-limited per address); internal ones for staff too."""
    user = request.user if request.user.is_authenticated else None
    if user is None:
        ratelimit.hit(
            "workspace.knowledge",
            client_ip(request) or "-",
            limit=settings.WORKSPACE_KNOWLEDGE_SEARCH_PER_MINUTE,
        )
    return {"items": selectors.knowledge_search(user, q=q, kind=kind)}


class VapidKeyOut(Schema):
    public_key: str


@router.get("/push/key", auth=None, response={200: VapidKeyOut, **ERRORS}, operation_id="workspace_push_key")
def push_key(request):
    """The VAPID public key browsers pass as ``applicationServerKey`` (404 when none is set)."""
    if not services.push_configured():
        raise NotFound("no VAPID key configured")
    return {"public_key": settings.WORKSPACE_VAPID_PUBLIC_KEY}
