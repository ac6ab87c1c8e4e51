"""Home and directory pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.core.access import staff
from zhengtong.workspace import selectors, services
from zhengtong.workspace.views.common import ERRORS


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
