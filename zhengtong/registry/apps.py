from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zhengtong.registry"
    label = "registry"
    verbose_name = _("Base registries")
    api_prefix = "/registry"
    demo_order = 10

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.registry import wiring

        wiring.install()
