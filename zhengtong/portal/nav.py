"""What the portal shows of the navigation modules registered in ``zhengtong.core.nav``."""

from __future__ import annotations

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.permissions import can
from zhengtong.core.nav import NavItem, nav_items


def audiences(user) -> set[str]:
    """The header audiences of ``user`` (``core.nav.AUDIENCES``)."""
    if not getattr(user, "is_authenticated", False):
        return {"public"}
    kind = getattr(user, "kind", "")
    if kind == UserKind.ENTERPRISE:
        return {"enterprise"}
    if kind == UserKind.GRID_WORKER:
        return {"grid"}
    if kind in (UserKind.STAFF, UserKind.ADMIN) or getattr(user, "is_superuser", False):
        return {"staff", "leader"} if can(user, "cockpit.view") else {"staff"}
    return {"citizen"}


def visible(area: str, user, *, header: bool = False) -> list[NavItem]:
    """The entries of ``area`` this user may see (the pages themselves still check); with
    ``header`` only those meant for the user's audience (the footer lists the rest)."""
    authenticated = getattr(user, "is_authenticated", False)
    mine = audiences(user) if header else set()
    out = []
    for item in nav_items(area):
        if (item.login_required or item.permission or area == "console") and not authenticated:
            continue
        if item.permission and not can(user, item.permission):
            continue
        if header and item.audiences is not None and not (mine & set(item.audiences)):
            continue
        out.append(item)
    return out
