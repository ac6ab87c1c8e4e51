from django.apps import AppConfig
from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhengtong.core"
    label = "core"
    verbose_name = _("Core")
    api_prefix = "/"

    def ready(self) -> None:
        # Each app declares the hooks it fires in its hooks.py; import them all before any other
        # app's ready() registers receivers (core is the first installed app), so hooks.declared()
        # is complete and a receiver for an undeclared hook fails at start-up.
        autodiscover_modules("hooks")
        # Lazy: zhengtong.core.outbox imports the models, which need the app registry.
        from zhengtong.core.outbox import outbox_sweep_task
        from zhengtong.core.tasks import register_periodic

        register_periodic("core.outbox", outbox_sweep_task, settings.OUTBOX_SWEEP_INTERVAL_SECONDS)
