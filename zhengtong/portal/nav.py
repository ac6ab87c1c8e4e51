"""What the portal shows of the navigation modules registered in ``zhengtong.core.nav``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.permissions import can
from zhengtong.core.nav import CONSOLE_GROUPS, NavItem, nav_items


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


def console_groups(user, path: str) -> list[dict]:
    """The staff console's navigation for ``user`` on ``path``: the domain groups
    (``core.nav.CONSOLE_GROUPS``) the user has entries in, each with its entries and the address
    of its first; the group holding the current page (the entry whose address is the longest
    prefix of ``path``) is ``current``, as is that entry."""
    if not getattr(user, "is_authenticated", False):
        return []
    entries: list[tuple[str, str, object]] = []  # (group, url, label)
    if can(user, "registry.view"):
        entries += [
            ("registry", reverse("portal:persons"), _("Population registry")),
            ("registry", reverse("portal:legal_entities"), _("Legal-entity registry")),
            ("registry", reverse("portal:licences"), _("E-licences")),
        ]
    if can(user, "registry.import"):
        entries.append(("registry", reverse("portal:registry_import"), _("Import")))
    if can(user, "registry.handle_correction"):
        entries.append(("registry", reverse("portal:corrections"), _("Correction requests")))
    if can(user, "audit.view"):
        entries.append(("system", reverse("portal:audit"), _("Audit trail")))
    for item in visible("console", user):
        entries.append((item.group or "system", reverse(item.url_name), item.label))
    current_url = max(
        (url for _g, url, _l in entries if path == url or (url != "/" and path.startswith(url))),
        key=len,
        default=None,
    )
    groups = []
    for key, label in CONSOLE_GROUPS:
        items = [
            {"url": url, "label": text, "current": url == current_url, "exact": url == path}
            for group, url, text in entries
            if group == key
        ]
        if items:
            groups.append(
                {
                    "key": key,
                    "label": label,
                    "items": items,
                    "url": items[0]["url"],
                    "current": any(i["current"] for i in items),
                }
            )
    return groups
