"""How the services module plugs into the platform: its SLA clock, the hooks of payments and
work orders it receives, the item cache's invalidation and its navigation entries. Installed
once by ``ServicesConfig.ready()``."""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from zhengtong.core import sla
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.payments.hooks import on_paid
from zhengtong.services import indicators, selectors, services, tasks
from zhengtong.services.models import Case, CommitmentCheck, ServiceItem, ServiceItemVersion
from zhengtong.workorders.hooks import on_closed


def install() -> None:
    indicators.install()
    sla.register(Case, on_overdue=services.on_overdue, overdue_stamp="escalated_at")
    # 告知承诺制: the 核查 time limit; overdue checks are escalated like cases (督办).
    sla.register(CommitmentCheck, on_overdue=services.on_check_overdue, overdue_stamp="escalated_at")
    # The item cache (core.cache) is dropped in every process when what it holds changes: the
    # items, and the departments and org units they show (senders only: no accounts internals).
    department, org_unit = apps.get_model("accounts", "Department"), apps.get_model("accounts", "OrgUnit")
    for model in (ServiceItem, ServiceItemVersion, department, org_unit):
        for signal in (post_save, post_delete):
            signal.connect(
                selectors.forget_items, sender=model, dispatch_uid=f"services-items-{model.__name__}"
            )
    on_paid("case")(services.on_case_paid)
    on_paid("bundle")(services.on_bundle_paid)
    on_closed("rating")(services.on_rating_work_order_closed)
    register_periodic("services.owed_scan", tasks.owed_scan_task, 3600)
    register_periodic("services.evaluation_publish", tasks.evaluation_publish_task, 86400)
    register_periodic("services.benefit_scan", tasks.benefit_scan_task, 86400)

    register_nav(
        "main", "services:catalogue", _("Services"), order=20, audiences=("public", "citizen", "enterprise")
    )
    register_nav(
        "main",
        "services:my_cases",
        _("My applications"),
        login_required=True,
        order=21,
        audiences=("citizen", "enterprise"),
    )
    register_nav("main", "services:ratings", _("Service ratings"), order=22, audiences=())
    register_nav("console", "services:worklist", _("Cases"), permission="services.view", order=20)
    register_nav("console", "services:counter", _("Counter intake"), permission="services.accept", order=21)
    register_nav("console", "services:transfers", _("Transfers (通办)"), permission="services.view", order=22)
    register_nav("console", "services:checks", _("Commitment checks"), permission="services.review", order=23)
    register_nav(
        "console",
        "services:rules",
        _("Automatic decision rules (秒批)"),
        permission="services.manage_catalogue",
        order=24,
    )
    register_nav(
        "console",
        "services:benefits_staff",
        _("Benefits without application (免申即享)"),
        permission="services.manage_catalogue",
        order=25,
    )
