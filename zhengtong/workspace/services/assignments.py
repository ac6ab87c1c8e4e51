"""Tasks (交办) and their supervision (督办): assignment to a person, a unit or several units with
a deadline in working days, sub-tasks, progress reports, escalation of overdue and due-soon
tasks to the supervisors ``holders_of`` names."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.accounts.selectors import holders_of
from zhengtong.audit import services as audit
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.notify.services import notify
from zhengtong.workspace import selectors
from zhengtong.workspace.models import ProgressReport, Task
from zhengtong.workspace.services.common import VIA, records_refusals, text
from zhengtong.workspace.workflows import TASK_FLOW, is_assignee

MAX_WORKING_DAYS = 250


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKING_DAYS:
        raise ValidationError.for_field("due_working_days", _("from 1 to %d working days") % MAX_WORKING_DAYS)
    return value


def _link(task: Task) -> str:
    return reverse("workspace:task", args=[task.pk])


def _contacts(task: Task) -> list[Any]:
    """Who answers for a task: the person; for a department, the nearest holders of
    ``workspace.assign`` for it (its own heads when it has any, not every leader above); for a
    unit, the nearest holders there."""
    if task.assignee_id:
        return [task.assignee]
    if task.assignee_department_id:
        dept = task.assignee_department
        people = holders_of("workspace.assign", dept.org_unit.path, department=dept, nearest=True)
        own = [p for p in people if p.department_id == dept.pk]
        return own or people
    if task.assignee_unit_id:
        return holders_of("workspace.assign", task.assignee_unit.path, nearest=True)
    return []


def _tell_assignee(task: Task) -> None:
    """The person, or the department's (or unit's) nearest assigners, hear of a new task."""
    for person in _contacts(task):
        notify(
            recipient=person,
            event="workspace.task",
            title=_("New task: %s") % task.title,
            body=_("Deadline %s") % task.sla_deadline,
            link=_link(task),
        )


def _create(
    *, actor: Any, parent: Task | None, title: str, description: str, days: int, target: dict
) -> Task:
    task = Task(
        title=title,
        description=description,
        parent=parent,
        org_unit_id=actor.org_unit_id,
        due_working_days=days,
        created_by=actor,
        state=TASK_FLOW.initial,
        **target,
    )
    TASK_FLOW.start_clock(task)
    task.save()
    TASK_FLOW.start(task, actor=actor, after={"state": task.state, "due": str(task.sla_deadline)})
    return task


@records_refusals("task_assign")
@transaction.atomic
def task_assign(
    *,
    actor: Any,
    title: str,
    description: str = "",
    due_working_days: int,
    assignee: Any = None,
    departments: list[Any] | None = None,
    units: list[Any] | None = None,
    parent: Task | None = None,
) -> Task:
    """Assign a task (交办). Exactly one person, or one or more departments / org units. With
    several targets the returned task is the parent and each target gets a sub-task with the
    same deadline. A sub-task of ``parent`` may be given by the parent's assignee; any other
    task needs ``workspace.assign`` at the actor's unit. People and units must be in the
    actor's directory scope."""
    ensure_authenticated(actor)
    if getattr(actor, "org_unit_id", None) is None:
        raise PermissionDenied(_("the workspace is for staff"))
    if parent is not None:
        if not is_assignee(parent, actor) or parent.state not in ("assigned", "in_progress"):
            raise PermissionDenied(_("only the assignee of an open task adds sub-tasks to it"))
    else:
        ensure_can(actor, "workspace.assign", actor.org_unit)
    title = text("title", title, 200)
    description = text("description", description, 5000, required=False)
    days = _days(due_working_days)
    departments, units = list(departments or []), list(units or [])
    targets: list[dict] = []
    if assignee is not None:
        if departments or units:
            raise ValidationError.for_field("assignee", _("a task goes to one person, or to units"))
        if not selectors.visible_user_ids(actor, [assignee.pk]):
            raise ValidationError.for_field("assignee", _("not in your directory scope"))
        targets.append({"assignee": assignee})
    roots = selectors.directory_roots(actor)
    for dept in departments:
        if not any(dept.org_unit.path.startswith(r) for r in roots):
            raise ValidationError.for_field("departments", _("%s is outside your scope") % dept.name)
        targets.append({"assignee_department": dept})
    for unit in units:
        if not any(unit.path.startswith(r) for r in roots):
            raise ValidationError.for_field("units", _("%s is outside your scope") % unit.name)
        targets.append({"assignee_unit": unit})
    if not targets:
        raise ValidationError.for_field("assignee", _("choose a person or at least one unit"))
    if len(targets) == 1:
        task = _create(
            actor=actor, parent=parent, title=title, description=description, days=days, target=targets[0]
        )
        _tell_assignee(task)
        return task
    main = _create(actor=actor, parent=parent, title=title, description=description, days=days, target={})
    for target in targets:
        sub = _create(
            actor=actor, parent=main, title=title, description=description, days=days, target=target
        )
        _tell_assignee(sub)
    return main


def _apply(task: Task, name: str, *, actor: Any, note: str = "", changes: dict | None = None) -> Task:
    TASK_FLOW.apply(task, name, actor=actor, note=note, changes=changes or {})
    return task


@transaction.atomic
def task_start(*, actor: Any, task: Task) -> Task:
    """The assignee starts work."""
    return _apply(task, "start", actor=actor)


@transaction.atomic
def task_complete(*, actor: Any, task: Task, note: str = "") -> Task:
    """The assignee reports the task complete (the clock pauses until the assigner accepts)."""
    if task.subtasks.exclude(state__in=("closed", "cancelled")).exists():
        raise ValidationError.for_field("subtasks", _("close the sub-tasks first"))
    _apply(task, "complete", actor=actor, note=note, changes={"progress": 100})
    notify(
        recipient=task.created_by,
        event="workspace.task_done",
        title=_("Task reported complete: %s") % task.title,
        link=_link(task),
    )
    return task


@transaction.atomic
def task_accept(*, actor: Any, task: Task) -> Task:
    """The assigner accepts the work and closes the task; a parent whose sub-tasks are all
    closed closes with them."""
    _apply(task, "accept", actor=actor, changes={"completed_at": timezone.now()})
    parent = task.parent
    if (
        parent is not None
        and parent.state == "assigned"
        and not parent.subtasks.exclude(state__in=("closed", "cancelled")).exists()
    ):
        TASK_FLOW.apply(parent, "complete", actor=actor, via=VIA, changes={"progress": 100})
        TASK_FLOW.apply(parent, "accept", actor=actor, via=VIA, changes={"completed_at": timezone.now()})
    return task


@transaction.atomic
def task_return(*, actor: Any, task: Task, note: str) -> Task:
    """The assigner sends the work back (the clock resumes)."""
    return _apply(task, "return", actor=actor, note=note, changes={"progress": min(task.progress, 90)})


@transaction.atomic
def task_cancel(*, actor: Any, task: Task, note: str) -> Task:
    """The assigner cancels an open task and its open sub-tasks."""
    _apply(task, "cancel", actor=actor, note=note)
    for sub in task.subtasks.filter(state__in=("assigned", "in_progress")):
        TASK_FLOW.apply(sub, "cancel", actor=actor, note=note, via=VIA)
    return task


@transaction.atomic
def task_report_progress(*, actor: Any, task: Task, text_: str, percent: int) -> ProgressReport:
    """A progress report by the assignee (a percentage and what was done)."""
    if not is_assignee(task, actor):
        raise PermissionDenied(_("only the assignee reports progress"))
    if task.state not in ("assigned", "in_progress"):
        raise ValidationError.for_field("task", _("the task is not open"))
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError.for_field("percent", _("from 0 to 100"))
    body = text("text", text_, 2000)
    report = ProgressReport.objects.create(task=task, author=actor, text=body, percent=percent)
    Task.objects.filter(pk=task.pk).update(progress=percent)
    task.progress = percent
    audit.record(actor=actor, action="workspace.task.progress", target=task, after={"percent": percent})
    return report


def task_get(*, actor: Any, pk: int) -> Task:
    ensure_authenticated(actor)
    return selectors.task_for(actor, pk)


def escalate_overdue(ids: list[int]) -> int:
    """Called by the SLA scan with newly overdue tasks: mark them escalated (督办) and tell the
    nearest supervisors of the assigning unit (``holders_of``) and the assignee, one message
    per person."""
    now = timezone.now()
    with transaction.atomic():
        tasks = list(
            Task.objects.filter(pk__in=ids, escalated_at__isnull=True).select_related(
                "org_unit", "assignee", "assignee_department", "assignee_unit"
            )
        )
        if not tasks:
            return 0
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(escalated_at=now)
        audit.record(
            actor=None,
            action="workspace.task.escalate",
            target_type="workspace.task",
            target_id=str(tasks[0].pk) if len(tasks) == 1 else f"{len(tasks)} tasks",
            target_label=tasks[0].title if len(tasks) == 1 else str(len(tasks)),
            after={"ids": [t.pk for t in tasks]},
            via=VIA,
        )
        titles: dict[int, list[str]] = {}
        people: dict[int, Any] = {}
        for task in tasks:
            told = holders_of("workspace.supervise", task.org_unit.path, nearest=True)
            if task.assignee_id:
                told.append(task.assignee)
            for person in told:
                people[person.pk] = person
                titles.setdefault(person.pk, []).append(task.title)
        for pk, mine in sorted(titles.items()):
            notify(
                recipient=people[pk],
                event="workspace.task_overdue",
                title=ngettext("%(count)d task is overdue", "%(count)d tasks are overdue", len(mine))
                % {"count": len(mine)},
                body="；".join(mine[:10]),
                link=reverse("workspace:supervision"),
            )
    return len(tasks)


def notify_due_soon(*, limit: int = 500) -> int:
    """The periodic scan: tell the assignees (or their units' assigners) of tasks that became
    due soon, once per task."""
    now = timezone.now()
    count = 0
    for task in Task.objects.filter(
        sla_state="due_soon", due_soon_notified_at__isnull=True, state__in=("assigned", "in_progress")
    ).select_related("assignee", "assignee_department__org_unit", "assignee_unit")[:limit]:
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, due_soon_notified_at__isnull=True).update(
                due_soon_notified_at=now
            ):
                continue
            if (
                task.assignee_id is None
                and task.assignee_department_id is None
                and task.assignee_unit_id is None
            ):
                continue
            for person in _contacts(task):
                notify(
                    recipient=person,
                    event="workspace.task_due_soon",
                    title=_("Task due soon: %s") % task.title,
                    body=_("Deadline %s") % task.sla_deadline,
                    link=_link(task),
                )
            count += 1
    return count
