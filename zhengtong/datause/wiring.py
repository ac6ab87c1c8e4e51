"""How the datause module plugs into the platform, installed once by ``DatauseConfig.ready()``:
permissions and roles, the SLA clocks, the catalogue's hooks and dataset-page panels, the
periodic scan and the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.roles import extend_role, register_permissions
from zhengtong.catalog.hooks import DATASET_PANELS, DatasetPanel
from zhengtong.core import hooks, sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.datause import indicators, panels, services, tasks
from zhengtong.datause.models import DataRequest, ErrorReport


def install() -> None:
    register_permissions(
        {
            "datause.answer": _(
                "Answer data requests and error reports, moderate discussions of the department's datasets"
            ),
            "datause.review": _("Review reuses, run campaigns, moderate any discussion in scope"),
        }
    )
    extend_role("data_publisher", {"datause.answer"})
    extend_role("data_officer", {"datause.review"})
    sla.register(DataRequest)
    sla.register(ErrorReport)
    hooks.connect("catalog.version_published", services.version_published)
    hooks.connect("catalog.application_decided", services.application_decided)
    DATASET_PANELS.add("datause.quality", DatasetPanel(order=10, render=panels.quality_panel))
    DATASET_PANELS.add("datause.reuses", DatasetPanel(order=20, render=panels.reuses_panel))
    DATASET_PANELS.add("datause.feedback", DatasetPanel(order=30, render=panels.feedback_panel))
    indicators.install()
    register_periodic("datause.status_scan", tasks.status_scan_task, settings.DATAUSE_SCAN_SECONDS)
    register_nav("main", "datause:requests", _("Data requests"), order=41)
    register_nav("main", "datause:reuses", _("Reuses"), order=42)
    register_nav(
        "console", "datause:requests_manage", _("Data requests to answer"), permission="datause.answer"
    )
    register_nav("console", "datause:feedback_manage", _("Error reports"), permission="datause.answer")
    register_nav("console", "datause:reuses_review", _("Reuses to review"), permission="datause.review")
