from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "zhengtong.identity"
    label = "identity"
    verbose_name = _("Identity and authorization centre")
    api_prefix = "/identity"
    demo_order = 90

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.identity import wiring

        wiring.install()
