"""Navigation entries that modules add to the portal (one place, so the portal need not know them).

A module registers its entries in its AppConfig.ready():

    from zhengtong.portal.nav import register_nav
    register_nav("console", "grid:command_room", _("Command room"), permission="grid.dispatch")
    register_nav("main", "catalog:portal", _("Open data"))

Areas: "main" (the header, for everyone, or only logged-in users with ``login_required``) and
"console" (the staff console's sub-navigation and its Work list). ``permission`` hides the entry from
users who do not hold it anywhere (the page itself still checks).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    area: str
    url_name: str
    label: str | Promise
    permission: str | None = None
    login_required: bool = False
    order: int = 100


NAV: list[NavItem] = []


def register_nav(
    area: str,
    url_name: str,
    label: str | Promise,
    *,
    permission: str | None = None,
    login_required: bool = False,
    order: int = 100,
) -> None:
    if area not in ("main", "console"):
        raise ValueError(f"unknown navigation area {area!r}")
    item = NavItem(area, url_name, label, permission, login_required, order)
    if item not in NAV:
        NAV.append(item)
        NAV.sort(key=lambda i: i.order)


def visible(area: str, user) -> list[NavItem]:
    from zhengtong.accounts.permissions import can

    authenticated = getattr(user, "is_authenticated", False)
    out = []
    for item in NAV:
        if item.area != area:
            continue
        if (item.login_required or item.permission or area == "console") and not authenticated:
            continue
        if item.permission and not can(user, item.permission):
            continue
        out.append(item)
    return out
