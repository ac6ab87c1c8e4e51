"""What every workspace page shows in its tabs: the member's unread count (in-app, whatever
devices they subscribed for push), kept current by ``workspace.js`` polling ``unread.json``."""

from __future__ import annotations

from django import template
from django.conf import settings

from zhengtong.accounts.permissions import can
from zhengtong.workspace import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_total(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not can(user, "workspace.use"):
        return 0
    return selectors.unread_summary(user)["total"]


@register.simple_tag
def unread_poll_ms() -> int:
    return settings.WORKSPACE_UNREAD_POLL_SECONDS * 1000
