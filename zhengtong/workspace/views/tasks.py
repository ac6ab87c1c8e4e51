"""Tasks and the 督办 view."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.core.access import staff
from zhengtong.core.errors import ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.workflow import timeline
from zhengtong.workspace import selectors, services
from zhengtong.workspace.views.common import ERRORS, parse_int
from zhengtong.workspace.workflows import TASK_FLOW, is_assignee


@staff
def tasks(request):
    ensure_can(request.user, "workspace.use")
    return render(
        request,
        "workspace/tasks.html",
        {
            "mine": selectors.tasks_for(request.user),
            "given": selectors.tasks_for(request.user, view="assigned"),
            "may_assign": can(request.user, "workspace.assign"),
        },
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_working_days = forms.IntegerField(
        label=gettext_lazy("Time limit (working days)"), min_value=1, max_value=250, initial=5
    )
    assignee = forms.CharField(
        label=gettext_lazy("To a person (name or pinyin initials)"), required=False, max_length=50
    )
    departments = forms.MultipleChoiceField(
        label=gettext_lazy("Or to departments"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        roots = selectors.directory_roots(user)
        depts = []
        for root in roots[:5]:
            unit = account_selectors.org_unit_by_path(root) if root else None
            if unit is not None:
                depts.extend(account_selectors.departments_in(unit)[:100])
        self.fields["departments"].choices = [(str(d.pk), f"{d.name}") for d in depts]


@staff
def task_new(request):
    parent = (
        selectors.task_for(request.user, parse_int(request.GET.get("parent"), -1))
        if request.GET.get("parent")
        else None
    )
    form = TaskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assignee = None
        if data["assignee"]:
            found = selectors.directory_search(request.user, q=data["assignee"], limit=2)
            if len(found) == 1:
                assignee = account_selectors.users_by_ids([found[0].user_id]).first()
            else:
                form.add_error("assignee", _("“%s” matches no one or several people") % data["assignee"])
        depts = [account_selectors.department_by_id(pk) for pk in data["departments"]]
        if not form.errors:
            try:
                task = services.task_assign(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    due_working_days=data["due_working_days"],
                    assignee=assignee,
                    departments=[d for d in depts if d is not None],
                    parent=parent,
                )
            except ERRORS as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Task assigned."))
                return redirect("workspace:task", pk=task.pk)
    title = _("New sub-task of “%s”") % parent.title if parent else _("Assign a task")
    return render(request, "workspace/form.html", {"form": form, "title": title, "multipart": False})


TASK_ACTIONS = {
    "start": services.task_start,
    "complete": services.task_complete,
    "accept": services.task_accept,
    "return": services.task_return,
    "cancel": services.task_cancel,
}


@staff
def task_detail(request, pk: int):
    task = selectors.task_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        note = request.POST.get("note", "")[:1000]
        try:
            if action == "progress":
                services.task_report_progress(
                    actor=request.user,
                    task=task,
                    text_=request.POST.get("text", ""),
                    percent=parse_int(request.POST.get("percent"), -1),
                )
            elif action == "link":
                entry = selectors.knowledge_get(request.user, parse_int(request.POST.get("entry"), -1))
                services.knowledge_link(actor=request.user, entry=entry, ref=f"task:{task.pk}")
            elif action in TASK_ACTIONS:
                kwargs = {"note": note} if action in ("return", "cancel", "complete") else {}
                TASK_ACTIONS[action](actor=request.user, task=task, **kwargs)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:task", pk=pk)
    return render(
        request,
        "workspace/task.html",
        {
            "task": task,
            "subtasks": selectors.task_subtasks(task),
            "reports": list(task.reports.select_related("author")),
            "actions": TASK_FLOW.available(task, request.user),
            "timeline": timeline(task),
            "knowledge": selectors.knowledge_for_ref(request.user, f"task:{task.pk}"),
            "is_assignee": task.state in ("assigned", "in_progress") and is_assignee(task, request.user),
        },
    )


@staff
def supervision(request):
    ensure_can(request.user, "workspace.supervise")
    return render(request, "workspace/supervision.html", selectors.supervision_view(request.user))
