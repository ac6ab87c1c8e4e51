from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zhengtong.registry"
    label = "registry"
    verbose_name = _("Base registries")

    def ready(self) -> None:
        from zhengtong.core import sla
        from zhengtong.registry.models import CorrectionRequest

        sla.register(CorrectionRequest)
