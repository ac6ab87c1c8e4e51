from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhengtong.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Imported here: zhengtong.core.outbox imports the models, which need the app registry.
        from zhengtong.core.outbox import outbox_sweep_task
        from zhengtong.core.tasks import register_periodic

        register_periodic("core.outbox", outbox_sweep_task, settings.OUTBOX_SWEEP_INTERVAL_SECONDS)
