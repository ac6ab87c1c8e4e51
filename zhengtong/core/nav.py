"""Navigation entries that modules add to the portal (kept in core so no module imports the portal).

A module registers its entries in its AppConfig.ready():

    from zhengtong.core.nav import register_nav
    register_nav("console", "grid:command_room", _("Command room"), permission="grid.dispatch")
    register_nav("main", "catalog:portal", _("Open data"))

Areas: "main" (the header, for everyone, or only logged-in users with ``login_required``) and
"console" (the staff console's sub-navigation and its Work list). ``permission`` hides the entry from
users who do not hold it anywhere (the page itself still checks). ``audiences`` puts a header entry
only in the header of those audiences (``AUDIENCES``: "public" is a visitor who has not signed in;
"leader" is staff who may see a cockpit); every main entry a person may open is still listed in the
footer. The portal renders the entries (``zhengtong.portal.nav.visible``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.core import hooks

AREAS = ("main", "console")
#: The staff console's first level: domains, in this order; each console entry belongs to one
#: (``group=``, or its URL namespace's group below), and the console shows the groups a person
#: has entries in, then the entries of the group of the page they are on.
CONSOLE_GROUPS = (
    ("work", _("My work")),
    ("services", _("Services and hotline")),
    ("grid", _("Grid governance")),
    ("data", _("Data")),
    ("registry", _("Base registries")),
    ("supervision", _("Supervision and credit")),
    ("system", _("System")),
)
CONSOLE_GROUP_OF_NAMESPACE = {
    "workspace": "work",
    "cockpit": "work",
    "services": "services",
    "workorders": "services",
    "opengov": "services",
    "payments": "services",
    "codes": "services",
    "grid": "grid",
    "catalog": "data",
    "sharing": "data",
    "sandbox": "data",
    "datause": "data",
    "privacy": "data",
    "portal": "registry",
    "supervision": "supervision",
    "credit": "supervision",
    "identity": "system",
    "audit": "system",
}
AUDIENCES = ("public", "citizen", "enterprise", "staff", "grid", "leader")
#: The audiences of the public-facing pages (services, open government, open data).
PUBLIC = ("public", "citizen", "enterprise")


@dataclass(frozen=True)
class NavItem:
    area: str
    url_name: str
    label: str | Promise
    permission: str | None = None
    login_required: bool = False
    order: int = 100
    audiences: tuple[str, ...] | None = None
    group: str = ""  # console: a key of CONSOLE_GROUPS


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
    audiences: tuple[str, ...] | None = None,
    group: str | None = None,
) -> None:
    """Add a link to ``area``; registering the same URL name in the same area again replaces it.

    ``audiences`` (main area): the headers the entry appears in; ``None``: every header; ``()``:
    no header (the footer lists it)."""
    if area not in AREAS:
        raise ValueError(f"unknown navigation area {area!r}")
    unknown = set(audiences or ()) - set(AUDIENCES)
    if unknown:
        raise ValueError(f"unknown navigation audiences {sorted(unknown)}")
    if area == "console":
        group = group or CONSOLE_GROUP_OF_NAMESPACE.get(url_name.partition(":")[0], "system")
        if group not in dict(CONSOLE_GROUPS):
            raise ValueError(f"unknown console group {group!r}")
    NAV.add(
        f"{area}:{url_name}",
        NavItem(
            area,
            url_name,
            label,
            permission,
            login_required,
            order,
            tuple(audiences) if audiences is not None else None,
            group or "",
        ),
    )


def nav_items(area: str) -> list[NavItem]:
    """Every entry of ``area`` by ``order`` (then registration order), whoever looks."""
    return sorted((i for i in NAV.items() if i.area == area), key=lambda i: i.order)
