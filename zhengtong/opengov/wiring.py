"""How the opengov module plugs into the platform, installed once by ``OpengovConfig.ready()``:
permissions and roles, the requests' SLA clock, periodic tasks, the mailbox's work-order hook,
the menus."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role
from zhengtong.core import hooks, sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.opengov import penalties, services, tasks
from zhengtong.opengov.models import InfoRequest
from zhengtong.workorders.hooks import on_closed


def install() -> None:
    register_permissions(
        {
            "opengov.view": _("View requests for disclosure"),
            "opengov.handle": _("Handle and answer requests for disclosure"),
            "opengov.approve_extension": _("Approve the extension of a request's time limit"),
            "opengov.publish": _("Publish disclosure documents, guides, reports, lists of powers"),
            "opengov.moderate": _("Moderate comments on consultations"),
        }
    )
    register_role(
        "disclosure_officer",
        _("Disclosure officer (政务公开)"),
        {"opengov.view", "opengov.handle", "opengov.publish", "opengov.moderate"},
        _("Handles requests for disclosure, publishes documents, moderates consultations."),
    )
    extend_role("supervisor", {"opengov.view", "opengov.approve_extension"})
    # The hook groups by department and unit in the database and tells each head once per call:
    # large chunks mean a few messages per scan, not one per 5,000 requests.
    sla.register(InfoRequest, on_overdue=services.requests_overdue, chunk=50_000)
    register_periodic("opengov.publicity", tasks.publicity_task, 3600)
    register_periodic("opengov.open_data", tasks.open_data_task, 24 * 3600)
    on_closed("mailbox")(services.on_mailbox_closed)
    hooks.connect(penalties.HOOK, penalties.on_penalty_decided)
    register_nav("main", "opengov:home", _("Open government"), order=30, audiences=("public", "citizen"))
    register_nav("console", "opengov:worklist", _("Disclosure requests"), permission="opengov.view", order=60)
    register_nav(
        "console", "opengov:staff_consultations", _("Consultations"), permission="opengov.moderate", order=61
    )
    register_nav(
        "console", "opengov:staff_powers", _("Lists of powers"), permission="opengov.publish", order=62
    )
    register_nav(
        "console", "opengov:staff_guide", _("Disclosure guide"), permission="opengov.publish", order=63
    )
