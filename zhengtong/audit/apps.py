from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from zhengtong.core import trail


class AuditConfig(AppConfig):
    name = "zhengtong.audit"
    label = "audit"
    verbose_name = _("Audit trail")
    api_prefix = "/audit"

    def ready(self) -> None:
        # Lazy: audit.services and audit.indicators import the AuditEvent model, which the app
        # registry loads first.
        from zhengtong.audit import indicators
        from zhengtong.audit.services import record

        trail.install(record)
        indicators.install()
