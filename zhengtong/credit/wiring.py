"""How the credit module plugs into the platform (installed by ``CreditConfig.ready()``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions, register_role
from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.credit.models import RepairRequest
from zhengtong.credit.tasks import credit_rescore_all


def install() -> None:
    register_permissions(
        {
            "credit.view": _("View credit records and repair requests"),
            "credit.manage": _("Maintain credit lists and re-score"),
            "credit.repair": _("Decide credit repair requests"),
        }
    )
    register_role(
        "credit_officer",
        _("Credit officer (信用办)"),
        {"credit.view", "credit.manage", "credit.repair"},
        _("Keeps the red and black lists, decides credit repair, issues credit reports."),
    )
    extend_role("supervisor", {"credit.view"})
    sla.register(RepairRequest)
    register_periodic("credit.rescore_all", credit_rescore_all, 24 * 3600)
    register_nav("main", "credit:home", _("Public credit"), order=95, audiences=("enterprise",))
    register_nav("console", "credit:repairs", _("Credit repair"), permission="credit.repair", order=96)
    register_nav("console", "credit:lists", _("Credit lists"), permission="credit.manage", order=97)
