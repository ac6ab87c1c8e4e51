"""Reads of the workspace, scoped by the reader: the directory by home county, conversations by
membership, tasks by assignment and 督办 scope, documents by unit and permission."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import EVERYTHING, can, grants_of, scope_q, scope_roots, subtree_q
from zhengtong.core.errors import NotFound
from zhengtong.grid import selectors as grid_selectors
from zhengtong.seals import selectors as seal_selectors
from zhengtong.services import selectors as case_selectors
from zhengtong.workorders import selectors as workorder_selectors
from zhengtong.workspace.models import (
    Approval,
    Conversation,
    DirectoryEntry,
    Distribution,
    IncomingDocument,
    KnowledgeEntry,
    KnowledgeLink,
    Member,
    Message,
    OutgoingDocument,
    Task,
    UrgentReceipt,
)
from zhengtong.workspace.pinyin import grams_query, normalize_query

# Region codes of six digits (GB/T 2260) are province, city and county; township and below are
# longer. A staff member's home is the deepest of those above them: a township clerk's county.
REGION_CODE_LENGTH = 6


def home_path(org_path: str) -> str:
    """The path of the county (or city, or province) an org path belongs to."""
    parts = [p for p in org_path.split("/") if p]
    kept: list[str] = []
    for part in parts:
        if len(part) != REGION_CODE_LENGTH:
            break
        kept.append(part)
    return "/".join(kept) + "/" if kept else org_path


def ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def _is_super(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def directory_roots(viewer: Any) -> list[str]:
    """The subtrees whose whole directory the viewer sees: their home county, and the scope of
    their grants of ``workspace.use`` (a city leader's grant at the city shows the city)."""
    if _is_super(viewer):
        return [""]
    roots: set[str] = set(scope_roots(viewer, "workspace.use"))
    unit = getattr(viewer, "org_unit", None)
    if unit is not None:
        roots.add(home_path(unit.path))
    return sorted(roots)


def directory_q(viewer: Any) -> Q:
    """Who the viewer sees: everyone in their roots, and the leaders of the units above them."""
    roots = directory_roots(viewer)
    if "" in roots:
        return EVERYTHING
    condition = Q(pk__in=[])
    above: set[str] = set()
    for root in roots:
        condition |= subtree_q(root, "org_path")
        above.update(ancestor_paths(root))
    if above:
        condition |= Q(is_leader=True, org_path__in=sorted(above))
    return condition


def can_see_mobile(viewer: Any, entry: DirectoryEntry) -> bool:
    """A private number is shown to colleagues of the same unit or below it, to the person
    themselves, and to holders of ``workspace.view_private_numbers`` over the entry's unit."""
    if _is_super(viewer) or entry.user_id == getattr(viewer, "pk", None):
        return True
    unit = getattr(viewer, "org_unit", None)
    if unit is not None and entry.org_path.startswith(unit.path):
        return True
    return any(
        g.allows("workspace.view_private_numbers") and entry.org_path.startswith(g.path)
        for g in grants_of(viewer)
    )


def _prefix_q(field: str, text: str) -> Q:
    """``field`` starts with ``text``, in a form an index serves: on PostgreSQL LIKE 'text%'
    (pattern-ops index), on SQLite the range [text, text + U+FFFF) (its LIKE ignores indexes)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": text})
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\uffff"})


def directory_search(
    viewer: Any, *, q: str = "", department_id: int | None = None, limit: int = 50
) -> list[DirectoryEntry]:
    """Entries the viewer may see matching ``q``: Chinese name (or part of it), pinyin initials or
    full pinyin (prefix), or department name; each entry carries ``mobile_shown`` (the number or
    its masked form, by scope)."""
    qs = DirectoryEntry.objects.filter(directory_q(viewer)).select_related("department", "org_unit")
    text = normalize_query(q)
    if text:
        if text.isascii():
            qs = qs.filter(_prefix_q("initials", text) | _prefix_q("pinyin", text))
        else:
            qs = qs.filter(search_text__contains=text)
            terms = grams_query(text)
            if terms and connection.vendor == "postgresql":
                # The GIN index over the Han characters and pairs (migration 0003) finds the few
                # candidates; the substring check above keeps the answer exact.
                qs = qs.extra(  # noqa: S610 - a constant condition; the terms are a parameter
                    where=["to_tsvector('simple', search_grams) @@ to_tsquery('simple', %s)"], params=[terms]
                )
    if department_id:
        qs = qs.filter(department_id=department_id)
    entries = list(qs.order_by("org_path", "-is_leader", "pinyin", "id")[:limit])
    for entry in entries:
        entry.mobile_shown = entry.mobile if can_see_mobile(viewer, entry) else entry.mobile_masked
    return entries


def directory_entry_for(viewer: Any, user_id: int) -> DirectoryEntry:
    entry = (
        DirectoryEntry.objects.filter(directory_q(viewer), user_id=user_id)
        .select_related("department", "org_unit")
        .first()
    )
    if entry is None:
        raise NotFound(_("no such colleague in your directory"))
    entry.mobile_shown = entry.mobile if can_see_mobile(viewer, entry) else entry.mobile_masked
    return entry


def visible_user_ids(viewer: Any, user_ids: list[int]) -> set[int]:
    """Which of these users the viewer's directory shows."""
    return set(
        DirectoryEntry.objects.filter(directory_q(viewer), user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )


def department_member_ids(department_id: int) -> list[int]:
    return list(DirectoryEntry.objects.filter(department_id=department_id).values_list("user_id", flat=True))


# --- Conversations -----------------------------------------------------------------------------


def conversations_for(user: Any, *, limit: int = 50) -> list[Conversation]:
    """The user's conversations, latest first, each with ``unread`` (messages since they last read)."""
    members = (
        Member.objects.filter(user=user)
        .select_related("conversation")
        .annotate(unread=F("conversation__last_seq") - F("last_read_seq"))
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation_id")[:limit]
    )
    out = []
    for member in members:
        conv = member.conversation
        conv.unread = max(member.unread, 0)
        out.append(conv)
    return out


def unread_summary(user: Any) -> dict[str, Any]:
    """What the workspace shows every member in-app, whether or not they have a push device:
    the conversations with unread messages and how many, and the total. One statement over the
    member's own rows (index ``ws_member_user``), written out rather than built by the ORM: every
    open workspace page polls it; the counts follow from the read positions, as in
    ``conversations_for``."""
    with connection.cursor() as cursor:
        cursor.execute(_UNREAD_SQL, [user.pk])
        rows = cursor.fetchall()
    return {
        "total": sum(n for _pk, _title, n in rows),
        "conversations": [{"id": pk, "title": title, "unread": n} for pk, title, n in rows],
    }


_UNREAD_SQL = """
SELECT m.conversation_id, c.title, c.last_seq - m.last_read_seq
FROM workspace_member m JOIN workspace_conversation c ON c.id = m.conversation_id
WHERE m.user_id = %s AND c.last_seq > m.last_read_seq
ORDER BY c.last_message_at DESC NULLS LAST, m.conversation_id DESC
"""


def membership(user: Any, conversation_id: int) -> Member:
    member = (
        Member.objects.filter(user=user, conversation_id=conversation_id)
        .select_related("conversation", "conversation__org_unit")
        .first()
    )
    if member is None:
        raise NotFound(_("no such conversation"))
    return member


def conversation_messages(member: Member, *, limit: int = 50, before_seq: int | None = None) -> list[Message]:
    qs = Message.objects.filter(conversation_id=member.conversation_id, seq__gt=member.joined_seq)
    if before_seq:
        qs = qs.filter(seq__lt=before_seq)
    rows = list(qs.select_related("sender").order_by("-seq")[:limit])
    rows.reverse()
    return rows


def message_receipts(user: Any, message_id: int) -> dict[str, Any]:
    """Who has read a message and who has not (members only; DING's read list). For an urgent
    notice, each recipient's read time and SMS time."""
    message = Message.objects.select_related("conversation", "sender").filter(pk=message_id).first()
    if (
        message is None
        or not Member.objects.filter(user=user, conversation_id=message.conversation_id).exists()
    ):
        raise NotFound(_("no such message"))
    if message.urgent:
        rows = list(UrgentReceipt.objects.filter(message=message).select_related("user").order_by("user_id"))
        read = [{"user": r.user, "read_at": r.read_at, "sms_at": r.sms_at} for r in rows if r.read_at]
        unread = [{"user": r.user, "read_at": None, "sms_at": r.sms_at} for r in rows if not r.read_at]
    else:
        members = list(
            Member.objects.filter(conversation_id=message.conversation_id, joined_seq__lt=message.seq)
            .exclude(user_id=message.sender_id)
            .select_related("user")
            .order_by("user_id")
        )
        read = [
            {"user": m.user, "read_at": m.last_read_at, "sms_at": None}
            for m in members
            if m.last_read_seq >= message.seq
        ]
        unread = [
            {"user": m.user, "read_at": None, "sms_at": None}
            for m in members
            if m.last_read_seq < message.seq
        ]
    return {"message": message, "read": read, "unread": unread}


# --- Tasks and 督办 ------------------------------------------------------------------------------

OPEN_TASK_STATES = ("assigned", "in_progress", "completed")


def _assignee_q(user: Any) -> Q:
    cond = Q(assignee_id=user.pk)
    if getattr(user, "department_id", None):
        cond |= Q(assignee_department_id=user.department_id)
    if getattr(user, "org_unit_id", None):
        cond |= Q(assignee_unit_id=user.org_unit_id)
    return cond


def tasks_for(user: Any, *, view: str = "mine", limit: int = 100) -> list[Task]:
    """``mine``: assigned to the user, their department or unit; ``assigned``: the ones they gave."""
    qs = Task.objects.select_related("assignee", "assignee_department", "assignee_unit", "parent")
    if view == "assigned":
        qs = qs.filter(created_by=user, parent__isnull=True)
    else:
        qs = qs.filter(_assignee_q(user), state__in=OPEN_TASK_STATES)
    return list(qs.order_by("sla_deadline", "-id")[:limit])


def task_for(user: Any, pk: int) -> Task:
    """A task the user may see: assigned to them (their department or unit), given by them, a
    sub-task of one of those, or in their 督办 scope."""
    task = (
        Task.objects.select_related(
            "assignee", "assignee_department", "assignee_unit", "parent", "org_unit", "created_by"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None or not task_visible(user, task):
        raise NotFound(_("no such task"))
    return task


def task_visible(user: Any, task: Task) -> bool:
    if task.created_by_id == getattr(user, "pk", None) or can(user, "workspace.supervise", task.org_unit):
        return True
    return bool(
        Task.objects.filter(Q(pk=task.pk) | Q(pk=task.parent_id) | Q(parent_id=task.pk))
        .filter(_assignee_q(user) | Q(created_by_id=user.pk))
        .exists()
    )


def task_subtasks(task: Task) -> list[Task]:
    return list(
        task.subtasks.select_related("assignee", "assignee_department", "assignee_unit").order_by("id")
    )


def supervision_view(user: Any, *, limit: int = 20) -> dict[str, Any]:
    """The 督办 view: every task in the supervisor's scope by state and lateness, the overdue and
    due-soon ones, and the overdue cases, incidents and work orders the user may see. Seven
    queries whatever the sizes."""
    scope = scope_q(user, "workspace.supervise")
    by_state: dict[str, dict[str, int]] = {}
    for row in Task.objects.filter(scope).values("state", "sla_state").annotate(n=Count("id")).order_by():
        by_state.setdefault(row["state"], {})[row["sla_state"]] = row["n"]
    related = ("assignee", "assignee_department", "assignee_unit", "org_unit")
    overdue = list(
        Task.objects.filter(scope, state__in=OPEN_TASK_STATES[:2], sla_state="overdue")
        .select_related(*related)
        .order_by("sla_deadline", "id")[:limit]
    )
    due_soon = list(
        Task.objects.filter(scope, state__in=OPEN_TASK_STATES[:2], sla_state="due_soon")
        .select_related(*related)
        .order_by("sla_deadline", "id")[:limit]
    )
    cases = list(case_selectors.worklist(user, view="overdue").order_by("sla_deadline", "id")[:limit])
    incidents = grid_selectors.overdue_incidents(user, limit=limit)
    work_orders = workorder_selectors.overdue_work_orders(user, limit=limit)
    totals = {
        "open": sum(n for s, d in by_state.items() if s in OPEN_TASK_STATES for n in d.values()),
        "overdue": sum(d.get("overdue", 0) for s, d in by_state.items() if s in OPEN_TASK_STATES[:2]),
        "due_soon": sum(d.get("due_soon", 0) for s, d in by_state.items() if s in OPEN_TASK_STATES[:2]),
    }
    return {
        "by_state": by_state,
        "totals": totals,
        "overdue_tasks": overdue,
        "due_soon_tasks": due_soon,
        "overdue_cases": cases,
        "overdue_incidents": incidents,
        "overdue_work_orders": work_orders,
    }


# --- Approvals ---------------------------------------------------------------------------------


def approvals_mine(user: Any, *, limit: int = 50) -> list[Approval]:
    return list(Approval.objects.filter(applicant=user).order_by("-id")[:limit])


def approvals_to_decide(user: Any, *, limit: int = 50) -> list[Approval]:
    """Requests in the user's approval scope waiting for a decision, not their own."""
    qs = Approval.objects.filter(
        (Q(state="submitted") & scope_q(user, "workspace.approve", department_field="department"))
        | (Q(state="endorsed") & scope_q(user, "workspace.approve_final", department_field="department"))
    ).exclude(applicant=user)
    return list(qs.select_related("applicant", "department").order_by("id")[:limit])


def approval_for(user: Any, pk: int) -> Approval:
    approval = Approval.objects.select_related("applicant", "org_unit", "department").filter(pk=pk).first()
    if approval is None or not (
        approval.applicant_id == getattr(user, "pk", None)
        or can(user, "workspace.approve", approval.org_unit, approval.department)
        or can(user, "workspace.approve_final", approval.org_unit, approval.department)
    ):
        raise NotFound(_("no such request"))
    return approval


# --- Documents ---------------------------------------------------------------------------------


def _document_q(user: Any) -> Q:
    cond = Q(pk__in=[])
    for perm in ("workspace.draft", "workspace.sign_off", "workspace.countersign"):
        cond |= scope_q(user, perm)
    cond |= Q(countersigns__department_id=getattr(user, "department_id", None) or -1)
    return cond


def outgoing_for(user: Any, *, limit: int = 50) -> list[OutgoingDocument]:
    return list(
        OutgoingDocument.objects.filter(_document_q(user))
        .distinct()
        .select_related("department", "org_unit")
        .order_by("-id")[:limit]
    )


def outgoing_get(user: Any, pk: int) -> OutgoingDocument:
    doc = (
        OutgoingDocument.objects.filter(_document_q(user), pk=pk)
        .distinct()
        .select_related("department", "org_unit", "drafted_by", "signed_by")
        .first()
    )
    if doc is None:
        raise NotFound(_("no such document"))
    return doc


def distributions_to_acknowledge(user: Any, *, limit: int = 50) -> list[Distribution]:
    return list(
        Distribution.objects.filter(
            scope_q(user, "workspace.register_incoming", department_field="department"),
            acknowledged_at__isnull=True,
        )
        .select_related("document", "org_unit", "department")
        .order_by("id")[:limit]
    )


def distribution_get(user: Any, pk: int) -> Distribution:
    row = (
        Distribution.objects.filter(
            scope_q(user, "workspace.register_incoming", department_field="department"), pk=pk
        )
        .select_related("document", "org_unit", "department")
        .first()
    )
    if row is None:
        raise NotFound(_("no such distribution"))
    return row


def _incoming_q(user: Any) -> Q:
    cond = scope_q(user, "workspace.register_incoming") | scope_q(user, "workspace.instruct")
    if getattr(user, "department_id", None):
        cond |= Q(handler_department_id=user.department_id)
    return cond


def incoming_for(user: Any, *, limit: int = 50) -> list[IncomingDocument]:
    return list(
        IncomingDocument.objects.filter(_incoming_q(user))
        .select_related("handler_department", "org_unit")
        .order_by("-id")[:limit]
    )


def incoming_get(user: Any, pk: int) -> IncomingDocument:
    doc = (
        IncomingDocument.objects.filter(_incoming_q(user), pk=pk).select_related("handler_department").first()
    )
    if doc is None:
        raise NotFound(_("no such document"))
    return doc


# --- Knowledge base ----------------------------------------------------------------------------


def knowledge_visible_q(user: Any) -> Q:
    """Public entries for anyone; internal ones for staff with ``workspace.use``."""
    cond = Q(visibility=KnowledgeEntry.Visibility.PUBLIC)
    if user is not None and getattr(user, "is_authenticated", False) and can(user, "workspace.use"):
        cond |= Q(visibility=KnowledgeEntry.Visibility.INTERNAL)
    return cond & Q(is_archived=False)


def knowledge_search(user: Any, *, q: str = "", kind: str = "", limit: int = 30) -> list[KnowledgeEntry]:
    """Entries the reader may see containing every word of ``q`` (Chinese text, or the pinyin
    initials or full pinyin of the title)."""
    qs = KnowledgeEntry.objects.filter(knowledge_visible_q(user))
    for word in normalize_query(q).split()[:5]:
        qs = qs.filter(search_text__contains=word)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.select_related("org_unit", "department").order_by("-updated_at", "-id")[:limit])


def knowledge_get(user: Any, pk: int) -> KnowledgeEntry:
    entry = KnowledgeEntry.objects.filter(knowledge_visible_q(user), pk=pk).select_related("org_unit").first()
    if entry is None:
        raise NotFound(_("no such entry"))
    return entry


def knowledge_for_ref(user: Any, ref: str) -> list[KnowledgeEntry]:
    """The entries linked from ``ref`` ("task:12", "case:3") that the reader may see."""
    ids = KnowledgeLink.objects.filter(ref=ref).values("entry_id")
    return list(KnowledgeEntry.objects.filter(knowledge_visible_q(user), pk__in=ids).order_by("title"))


def outgoing_pdf(document: OutgoingDocument) -> bytes:
    """The sealed PDF of an issued document (empty before it is sealed); the caller has checked
    that the reader may see the document (``outgoing_get``)."""
    sealed = seal_selectors.document_by_code(document.seal_code) if document.seal_code else None
    return seal_selectors.document_pdf(sealed) if sealed is not None else b""


def join_target(user: Any, kind: str, pk: int) -> Any:
    """The case, incident, task or department whose conversation ``user`` may join; NotFound
    for anything else (the join page is shown only for a real, visible target)."""
    if kind == "case":
        return case_selectors.case_for_staff(user, pk)
    if kind == "incident":
        return grid_selectors.incident_get_for(user, pk)
    if kind == "task":
        return task_for(user, pk)
    if kind == "department":
        dept = account_selectors.department_by_id(pk)
        if dept is not None and (
            getattr(user, "department_id", None) == dept.pk
            or can(user, "workspace.supervise", dept.org_unit, dept)
        ):
            return dept
    raise NotFound(_("nothing to join"))
