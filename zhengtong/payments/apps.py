from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "zhengtong.payments"
    label = "payments"
    verbose_name = _("Unified payment")
    api_prefix = "/payments"
    demo_order = 40

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.payments import wiring

        wiring.install()
