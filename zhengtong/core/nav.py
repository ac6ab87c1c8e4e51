"""Navigation entries that modules add to the portal (kept in core so no module imports the portal).

A module registers its entries in its AppConfig.ready():

    from zhengtong.core.nav import register_nav
    register_nav("console", "grid:command_room", _("Command room"), permission="grid.dispatch")
    register_nav("main", "catalog:portal", _("Open data"))

Areas: "main" (the header, for everyone, or only logged-in users with ``login_required``) and
"console" (the staff console's sub-navigation and its Work list). ``permission`` hides the entry from
users who do not hold it anywhere (the page itself still checks). The portal renders the entries
(``zhengtong.portal.nav.visible``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise

from zhengtong.core import hooks

AREAS = ("main", "console")


@dataclass(frozen=True)
class NavItem:
    area: str
    url_name: str
    label: str | Promise
    permission: str | None = None
    login_required: bool = False
    order: int = 100


NAV = hooks.registry(
    "core.nav", doc="Header and console links, keyed by area and URL name (`core.nav.register_nav`)."
)


def register_nav(
    area: str,
    url_name: str,
    label: str | Promise,
    *,
    permission: str | None = None,
    login_required: bool = False,
    order: int = 100,
) -> None:
    """Add a link to ``area``; registering the same URL name in the same area again replaces it."""
    if area not in AREAS:
        raise ValueError(f"unknown navigation area {area!r}")
    NAV.add(f"{area}:{url_name}", NavItem(area, url_name, label, permission, login_required, order))


def nav_items(area: str) -> list[NavItem]:
    """Every entry of ``area`` by ``order`` (then registration order), whoever looks."""
    return sorted((i for i in NAV.items() if i.area == area), key=lambda i: i.order)
