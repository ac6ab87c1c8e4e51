from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "zhengtong.notify"
    label = "notify"
    verbose_name = _("Notifications")
    api_prefix = "/notifications"
    demo_order = 50

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.notify import wiring

        wiring.install()
