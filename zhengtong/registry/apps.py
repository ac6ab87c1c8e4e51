from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zhengtong.registry"
    label = "registry"
    verbose_name = _("Base registries")
    api_prefix = "/registry"
    demo_order = 10

    def ready(self) -> None:
        from zhengtong.core import sla
        from zhengtong.core.tasks import register_periodic
        from zhengtong.registry.models import CorrectionRequest
        from zhengtong.registry.tasks import licences_expire_due_task

        sla.register(CorrectionRequest)
        register_periodic("registry.licences_expire_due", licences_expire_due_task, 3600)
