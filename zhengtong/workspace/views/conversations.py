"""Conversation pages: lists, messages, read receipts, urgent notices."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.access import staff
from zhengtong.core.errors import NotFound
from zhengtong.core.forms import apply_domain_error
from zhengtong.workspace import selectors, services
from zhengtong.workspace.models import Message
from zhengtong.workspace.views.common import ERRORS, parse_int


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
        target = selectors.membership(request.user, parse_int(request.POST.get("to"), -1)).conversation
        original = Message.objects.filter(
            pk=parse_int(request.POST.get("forward"), -1), conversation=conv
        ).first()
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
def unread(request):
    """The caller's unread counts as JSON, which every workspace page polls
    (``WORKSPACE_UNREAD_POLL_SECONDS``): members without a push device see new messages too."""
    ensure_can(request.user, "workspace.use")
    data = selectors.unread_summary(request.user)
    for row in data["conversations"]:
        row["url"] = reverse("workspace:conversation", args=[row["id"]])
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


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
