import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class ServicesConfig(AppConfig):
    name = "zhengtong.services"
    label = "services"
    verbose_name = _("One-stop services")

    def ready(self) -> None:
        from zhengtong.core import sla
        from zhengtong.portal.nav import register_nav
        from zhengtong.services import services
        from zhengtong.services.models import Case

        sla.register(Case, on_overdue=services.on_overdue, overdue_stamp="escalated_at")

        from django.db.models.signals import post_delete, post_save

        from zhengtong.accounts.models import Department, OrgUnit
        from zhengtong.services import selectors
        from zhengtong.services.models import ServiceItem, ServiceItemVersion

        # The item cache (core.cache) is dropped in every process when what it holds changes.
        for model in (ServiceItem, ServiceItemVersion, Department, OrgUnit):
            for signal in (post_save, post_delete):
                signal.connect(
                    selectors.forget_items, sender=model, dispatch_uid=f"services-items-{model.__name__}"
                )
        try:
            from zhengtong.payments.hooks import on_paid

            on_paid("case")(services.on_case_paid)
            on_paid("bundle")(services.on_bundle_paid)
        except ImportError:  # pragma: no cover - payments is installed with services
            logger.warning("payments hooks unavailable: fees cannot be confirmed")
        try:
            from zhengtong.workorders.hooks import on_closed

            on_closed("rating")(services.on_rating_work_order_closed)
        except ImportError:  # pragma: no cover
            logger.warning("workorders hooks unavailable: rectifications cannot close ratings")

        register_nav("main", "services:catalogue", _("Services"), order=20)
        register_nav("main", "services:my_cases", _("My applications"), login_required=True, order=21)
        register_nav("main", "services:ratings", _("Service ratings"), order=22)
        register_nav("console", "services:worklist", _("Cases"), permission="services.view", order=20)
