"""The inbox page (我的消息)."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from zhengtong.core.access import authenticated
from zhengtong.notify import selectors, services


@authenticated
def inbox(request):
    if request.method == "POST":
        if request.POST.get("all"):
            services.messages_mark_all_read(actor=request.user)
        elif request.POST.get("id", "").isdigit():
            message = services.message_mark_read(actor=request.user, message_id=int(request.POST["id"]))
            target = message.link
            if (
                request.POST.get("open")
                and target
                and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
            ):
                return redirect(target)
        return redirect("notify:inbox")
    unread_only = request.GET.get("unread") == "1"
    page = selectors.inbox(request.user, unread=unread_only, cursor=request.GET.get("cursor"), limit=20)
    return render(
        request,
        "notify/inbox.html",
        {"page": page, "unread_only": unread_only, "unread": selectors.unread_count(request.user)},
    )
