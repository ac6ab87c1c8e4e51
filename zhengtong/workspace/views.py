"""Pages of the workspace, phone first (390 px): home, directory, messages, tasks, 督办,
approvals, documents, knowledge base; the web app manifest and the service worker."""

from __future__ import annotations

import json
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.core import ratelimit
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.core.workflow import timeline
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import Approval, KnowledgeEntry, Message
from zhengtong.workspace.workflows import APPROVAL_FLOW, INCOMING_FLOW, OUTGOING_FLOW, TASK_FLOW, is_assignee

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "workspace" / "sw.js"
ERRORS = (ValidationError, PermissionDenied, Conflict, NotFound)


def _int(value, default=None):
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else default


# --- Home, directory ---------------------------------------------------------------------------


@staff
def home(request):
    ensure_can(request.user, "workspace.use")
    return render(
        request,
        "workspace/home.html",
        {
            "conversations": selectors.conversations_for(request.user, limit=5),
            "tasks": selectors.tasks_for(request.user, limit=5),
            "may_supervise": can(request.user, "workspace.supervise"),
            "vapid_public_key": settings.WORKSPACE_VAPID_PUBLIC_KEY,
        },
    )


@staff
def directory(request):
    ensure_can(request.user, "workspace.use")
    q = request.GET.get("q", "")[:50]
    entries = selectors.directory_search(request.user, q=q, limit=50)
    return render(request, "workspace/directory.html", {"entries": entries, "q": q})


@staff
def directory_entry(request, user_id: int):
    entry = selectors.directory_entry_for(request.user, user_id)
    if request.method == "POST":
        other = account_selectors.users_by_ids([entry.user_id]).first()
        try:
            conv = services.conversation_direct(actor=request.user, other=other)
        except ERRORS as exc:
            messages.error(request, exc.message)
            return redirect("workspace:directory_entry", user_id=user_id)
        return redirect("workspace:conversation", pk=conv.pk)
    return render(request, "workspace/directory_entry.html", {"entry": entry})


# --- Messages ----------------------------------------------------------------------------------


@staff
def conversations(request):
    ensure_can(request.user, "workspace.use")
    return render(
        request, "workspace/conversations.html", {"conversations": selectors.conversations_for(request.user)}
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=pgettext_lazy("workspace", "Message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgent = forms.BooleanField(
        label=gettext_lazy("Urgent notice (DING): SMS to those who have not read it"), required=False
    )
    sms_after_minutes = forms.IntegerField(
        label=gettext_lazy("SMS after (minutes)"), required=False, min_value=1, max_value=1440
    )
    attachment = forms.FileField(label=gettext_lazy("Attachment"), required=False)


@staff
def conversation(request, pk: int):
    member = selectors.membership(request.user, pk)
    conv = member.conversation
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.POST.get("forward"):
        target = selectors.membership(request.user, _int(request.POST.get("to"), -1)).conversation
        original = Message.objects.filter(pk=_int(request.POST.get("forward"), -1), conversation=conv).first()
        try:
            if original is None:
                raise NotFound(_("no such message"))
            services.message_forward(actor=request.user, message=original, conversation=target)
        except ERRORS as exc:
            messages.error(request, exc.message)
            return redirect("workspace:conversation", pk=pk)
        messages.success(request, _("Forwarded."))
        return redirect("workspace:conversation", pk=target.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.message_send(
                actor=request.user,
                conversation=conv,
                body=data["body"],
                urgent=data["urgent"],
                sms_after_minutes=data["sms_after_minutes"],
                attachment=data["attachment"],
            )
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("workspace:conversation", pk=pk)
    services.conversation_read(actor=request.user, conversation=conv)
    return render(
        request,
        "workspace/conversation.html",
        {
            "conversation": conv,
            "messages_list": selectors.conversation_messages(member),
            "form": form,
            "others": [c for c in selectors.conversations_for(request.user) if c.pk != conv.pk],
        },
    )


@staff
def conversation_export(request, pk: int):
    """The conversation as JSON (members only; audited)."""
    member = selectors.membership(request.user, pk)
    data = services.conversation_export(actor=request.user, conversation=member.conversation)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="conversation-{pk}.json"'
    return response


@staff
def receipts(request, message_id: int):
    data = selectors.message_receipts(request.user, message_id)
    return render(request, "workspace/receipts.html", data)


class GroupForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Group name"), max_length=200)
    members = forms.CharField(
        label=gettext_lazy("Members"),
        help_text=gettext_lazy("Names or pinyin initials from your directory, separated by spaces or commas"),
        max_length=2000,
    )


@staff
def group_new(request):
    ensure_can(request.user, "workspace.use")
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids: list[int] = []
        for word in form.cleaned_data["members"].replace("，", ",").replace(",", " ").split():
            found = selectors.directory_search(request.user, q=word, limit=2)
            if len(found) != 1:
                form.add_error("members", _("“%s” matches no one or several people") % word)
                break
            ids.append(found[0].user_id)
        else:
            try:
                conv = services.conversation_group_create(
                    actor=request.user, title=form.cleaned_data["title"], member_ids=ids
                )
            except ERRORS as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("workspace:conversation", pk=conv.pk)
    return render(request, "workspace/form.html", {"form": form, "title": _("New group"), "multipart": False})


@staff
def join(request, kind: str, pk: int):
    """Join the conversation of a case, an incident, a task or one's department (POST)."""
    if request.method != "POST":
        selectors.join_target(request.user, kind, pk)  # 404 for nothing the user may join
        return render(request, "workspace/join.html", {"kind": kind, "pk": pk})
    try:
        if kind == "case":
            conv = services.conversation_for_case(actor=request.user, case_id=pk)
        elif kind == "incident":
            conv = services.conversation_for_incident(actor=request.user, incident_id=pk)
        elif kind == "task":
            conv = services.conversation_for_task(
                actor=request.user, task=selectors.task_for(request.user, pk)
            )
        elif kind == "department":
            dept = account_selectors.department_by_id(pk)
            if dept is None:
                raise NotFound(_("no such department"))
            conv = services.conversation_for_department(actor=request.user, department=dept)
        else:
            raise NotFound(_("nothing to join"))
    except ERRORS as exc:
        messages.error(request, exc.message)
        return redirect("workspace:home")
    return redirect("workspace:conversation", pk=conv.pk)


# --- Tasks and 督办 ------------------------------------------------------------------------------


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
        selectors.task_for(request.user, _int(request.GET.get("parent"), -1))
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
                    percent=_int(request.POST.get("percent"), -1),
                )
            elif action == "link":
                entry = selectors.knowledge_get(request.user, _int(request.POST.get("entry"), -1))
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


# --- Approvals ---------------------------------------------------------------------------------


class ApprovalForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Approval.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    details = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount_yuan = forms.DecimalField(
        label=gettext_lazy("Amount (yuan), procurement"),
        required=False,
        min_value=0,
        max_digits=13,
        decimal_places=2,
    )
    start_date = forms.DateField(
        label=gettext_lazy("From (leave)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=gettext_lazy("To (leave)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@staff
def approvals(request):
    ensure_can(request.user, "workspace.use")
    form = ApprovalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            approval = services.approval_submit(
                actor=request.user,
                kind=data["kind"],
                title=data["title"],
                details=data["details"],
                amount_fen=int(data["amount_yuan"] * 100) if data["amount_yuan"] is not None else None,
                start_date=data["start_date"],
                end_date=data["end_date"],
            )
        except ERRORS as exc:
            apply_domain_error(form, exc, field_names={"amount_fen": "amount_yuan"})
        else:
            return redirect("workspace:approval", pk=approval.pk)
    return render(
        request,
        "workspace/approvals.html",
        {
            "form": form,
            "mine": selectors.approvals_mine(request.user),
            "to_decide": selectors.approvals_to_decide(request.user),
        },
    )


@staff
def approval_detail(request, pk: int):
    approval = selectors.approval_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "withdraw":
                services.approval_withdraw(actor=request.user, approval=approval)
            else:
                services.approval_decide(
                    actor=request.user,
                    approval=approval,
                    decision=action,
                    note=request.POST.get("note", "")[:1000],
                )
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:approval", pk=pk)
    return render(
        request,
        "workspace/approval.html",
        {
            "approval": approval,
            "actions": APPROVAL_FLOW.available(approval, request.user),
            "timeline": timeline(approval),
        },
    )


# --- Documents ---------------------------------------------------------------------------------


class DraftForm(forms.Form):
    template = forms.ChoiceField(
        label=gettext_lazy("Template (文种)"),
        choices=[(k, v["label"]) for k, v in services.TEMPLATES.items()],
    )
    number_prefix = forms.CharField(
        label=gettext_lazy("Issuer code (机关代字), e.g. 西政办发"), max_length=40
    )
    title = forms.CharField(label=gettext_lazy("Title (标题)"), max_length=200)
    recipients = forms.CharField(
        label=gettext_lazy("Main recipients (主送机关)"), max_length=300, required=False
    )
    body = forms.CharField(
        label=gettext_lazy("Body (正文), one paragraph per line"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = forms.CharField(
        label=gettext_lazy("Attachments (附件说明), one per line"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    copy_to = forms.CharField(label=gettext_lazy("Copied to (抄送)"), max_length=300, required=False)
    secrecy = forms.ChoiceField(
        label=gettext_lazy("Secrecy (密级)"),
        required=False,
        choices=[("", "—"), ("秘密", "秘密"), ("机密", "机密"), ("绝密", "绝密")],
    )
    copy_number = forms.CharField(label=gettext_lazy("Copy number (份号)"), max_length=10, required=False)


@staff
def documents(request):
    ensure_can(request.user, "workspace.use")
    return render(
        request,
        "workspace/documents.html",
        {
            "outgoing": selectors.outgoing_for(request.user),
            "to_acknowledge": selectors.distributions_to_acknowledge(request.user),
            "incoming": selectors.incoming_for(request.user),
            "may_draft": can(request.user, "workspace.draft"),
            "may_register": can(request.user, "workspace.register_incoming"),
        },
    )


@staff
def document_new(request):
    form = DraftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.document_draft(actor=request.user, **form.cleaned_data)
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("workspace:outgoing", pk=doc.pk)
    return render(
        request,
        "workspace/form.html",
        {"form": form, "title": _("Draft a document (拟稿)"), "multipart": False},
    )


@staff
def outgoing_detail(request, pk: int):
    doc = selectors.outgoing_get(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "route":
                depts = [account_selectors.department_by_id(v) for v in request.POST.getlist("departments")]
                services.document_route(actor=request.user, document=doc, departments=[d for d in depts if d])
            elif action == "countersign":
                services.document_countersign(
                    actor=request.user, document=doc, opinion=request.POST.get("opinion", "")[:500]
                )
            elif action == "return":
                services.document_return(
                    actor=request.user, document=doc, note=request.POST.get("note", "")[:500]
                )
            elif action == "sign":
                services.document_sign(actor=request.user, document=doc)
            elif action == "number":
                services.document_number(actor=request.user, document=doc)
            elif action == "issue":
                units = account_selectors.org_units_with_codes(request.POST.getlist("units"))
                services.document_issue(
                    actor=request.user, document=doc, recipients=[(u, None) for u in units]
                )
            elif action == "file":
                services.document_file(actor=request.user, document=doc)
            elif action == "edit":
                services.document_update(actor=request.user, document=doc, body=request.POST.get("body", ""))
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:outgoing", pk=pk)
    roots = selectors.directory_roots(request.user)
    unit = account_selectors.org_unit_by_path(roots[0]) if roots and roots[0] else None
    return render(
        request,
        "workspace/outgoing.html",
        {
            "doc": doc,
            "countersigns": list(doc.countersigns.select_related("department", "signed_by")),
            "distributions": list(
                doc.distributions.select_related("org_unit", "department", "acknowledged_by")
            ),
            "actions": [t.name for t in OUTGOING_FLOW.available(doc, request.user)],
            "departments": list(account_selectors.departments_in(unit)[:100]) if unit else [],
            "units": list(account_selectors.org_unit_subtree(unit, max_depth=1)[:100]) if unit else [],
            "timeline": timeline(doc),
            "template": services.TEMPLATES.get(doc.template, {}),
        },
    )


@staff
def outgoing_pdf(request, pk: int):
    doc = selectors.outgoing_get(request.user, pk)
    data = selectors.outgoing_pdf(doc)
    if not data:
        raise NotFound(_("the document has no sealed PDF yet"))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="document-{doc.pk}.pdf"'
    return response


@staff
def acknowledge(request, pk: int):
    row = selectors.distribution_get(request.user, pk)
    if request.method == "POST":
        try:
            incoming = services.distribution_acknowledge(actor=request.user, distribution=row)
        except ERRORS as exc:
            messages.error(request, exc.message)
            return redirect("workspace:documents")
        messages.success(request, _("Receipt acknowledged and registered."))
        return redirect("workspace:incoming", pk=incoming.pk)
    return redirect("workspace:documents")


@staff
def incoming_detail(request, pk: int):
    doc = selectors.incoming_get(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        value = request.POST.get("text", "")[:4000]
        try:
            if action == "propose":
                services.incoming_propose(actor=request.user, document=doc, proposal=value)
            elif action == "instruct":
                services.incoming_instruct(actor=request.user, document=doc, instruction=value)
            elif action == "assign":
                dept = account_selectors.department_by_id(request.POST.get("department"))
                services.incoming_assign(actor=request.user, document=doc, department=dept)
            elif action == "complete":
                services.incoming_complete(actor=request.user, document=doc, result=value)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except ERRORS as exc:
            messages.error(request, exc.message)
        return redirect("workspace:incoming", pk=pk)
    return render(
        request,
        "workspace/incoming.html",
        {
            "doc": doc,
            "actions": [t.name for t in INCOMING_FLOW.available(doc, request.user)],
            "departments": list(account_selectors.departments_in(doc.org_unit)[:100]),
            "timeline": timeline(doc),
        },
    )


# --- Knowledge base ----------------------------------------------------------------------------


@public
def knowledge(request):
    """The knowledge base: public entries for anyone (12345's answers), internal ones for staff."""
    q = request.GET.get("q", "")[:50]
    if q and not request.user.is_authenticated:
        ratelimit.hit(
            "workspace.knowledge",
            client_ip(request) or "-",
            limit=settings.WORKSPACE_KNOWLEDGE_SEARCH_PER_MINUTE,
        )
    entries = selectors.knowledge_search(request.user, q=q)
    return render(
        request,
        "workspace/knowledge.html",
        {"entries": entries, "q": q, "may_write": can(request.user, "workspace.knowledge_edit")},
    )


@public
def knowledge_entry(request, pk: int):
    return render(
        request, "workspace/knowledge_entry.html", {"entry": selectors.knowledge_get(request.user, pk)}
    )


class KnowledgeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=KnowledgeEntry.Kind.choices)
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visibility"), choices=KnowledgeEntry.Visibility.choices
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8})
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), max_length=200, required=False)


@staff
def knowledge_new(request):
    form = KnowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.knowledge_entry_create(actor=request.user, **form.cleaned_data)
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("workspace:knowledge_entry", pk=entry.pk)
    return render(
        request, "workspace/form.html", {"form": form, "title": _("New knowledge entry"), "multipart": False}
    )


# --- Phone: manifest, service worker, push -----------------------------------------------------


@public
def manifest(request):
    data = {
        "name": _("Zhengtong workspace"),
        "short_name": _("Workspace"),
        "start_url": reverse("workspace:home"),
        "scope": "/workspace/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": reverse("workspace:icon"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
        ],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json")


ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 192 192"><rect width="192" height="192" rx="32" '
    'fill="#b71c1c"/><text x="96" y="128" font-size="96" text-anchor="middle" fill="#fff" '
    'font-family="sans-serif">政</text></svg>'
)


@public
def icon(request):
    return HttpResponse(ICON, content_type="image/svg+xml")


@public
def service_worker(request):
    """The service worker, served under /workspace/ so its scope is the workspace."""
    response = HttpResponse(SERVICE_WORKER.read_text(encoding="utf-8"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/workspace/"
    response["Cache-Control"] = "no-cache"
    return response


@authenticated
def push_subscription(request):
    """POST a PushSubscription.toJSON() body to subscribe this browser; DELETE to unsubscribe."""
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return JsonResponse(
            {"error": {"code": "validation_error", "message": "JSON object expected"}}, status=422
        )
    try:
        if request.method == "DELETE":
            services.push_unsubscribe(actor=request.user, endpoint=str(body.get("endpoint", "")))
            return JsonResponse({"ok": True})
        if request.method != "POST":
            return JsonResponse({"error": {"code": "bad_request", "message": "POST or DELETE"}}, status=405)
        keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
        services.push_subscribe(
            actor=request.user,
            endpoint=str(body.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except ZhengtongError as exc:
        return JsonResponse({"error": {"code": str(exc.code), "message": exc.message}}, status=exc.status)
    return JsonResponse({"ok": True}, status=201)
