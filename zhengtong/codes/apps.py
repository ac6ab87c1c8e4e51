from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "zhengtong.codes"
    label = "codes"
    verbose_name = _("Codes, risk map and indices")
    api_prefix = "/codes"
    demo_order = 80

    def ready(self) -> None:
        from zhengtong.codes import permissions
        from zhengtong.codes.tasks import daily_task, retention_task
        from zhengtong.core.nav import register_nav
        from zhengtong.core.tasks import register_periodic

        permissions.install()
        register_periodic("codes.daily", daily_task, 6 * 3600)
        register_periodic("codes.retention", retention_task, 3600)
        register_nav("main", "codes:my_code", _("My code"), order=60)
        register_nav("main", "codes:risk_map", _("Risk map"), order=61)
        register_nav("console", "codes:console", _("Codes"), permission="codes.view")
