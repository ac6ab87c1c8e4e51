"""What the portal shows of the navigation modules registered in ``zhengtong.core.nav``."""

from __future__ import annotations

from zhengtong.accounts.permissions import can
from zhengtong.core.nav import NavItem, nav_items


def visible(area: str, user) -> list[NavItem]:
    """The entries of ``area`` this user may see (the pages themselves still check)."""
    authenticated = getattr(user, "is_authenticated", False)
    out = []
    for item in nav_items(area):
        if (item.login_required or item.permission or area == "console") and not authenticated:
            continue
        if item.permission and not can(user, item.permission):
            continue
        out.append(item)
    return out
