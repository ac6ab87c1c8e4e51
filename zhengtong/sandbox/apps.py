from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxConfig(AppConfig):
    name = "zhengtong.sandbox"
    label = "sandbox"
    verbose_name = _("Data sandbox")
    api_prefix = "/sandbox"
    demo_order = 110

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.sandbox import wiring

        wiring.install()
