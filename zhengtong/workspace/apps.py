from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "zhengtong.workspace"
    label = "workspace"
    verbose_name = _("Mobile workspace (掌上办公)")
    api_prefix = "/workspace"
    demo_order = 120

    def ready(self) -> None:
        # Lazy: the wiring imports models, which must be loaded first.
        from zhengtong.workspace import wiring

        wiring.install()
