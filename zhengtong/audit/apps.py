from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zhengtong.audit"
    label = "audit"
    verbose_name = _("Audit trail")
    api_prefix = "/audit"

    def ready(self) -> None:
        # Lazy: the wiring imports the audit models, which the app registry loads first.
        from zhengtong.audit import wiring

        wiring.install()
