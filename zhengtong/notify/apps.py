from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "zhengtong.notify"
    label = "notify"
    verbose_name = _("Notifications")
    api_prefix = "/notifications"
    demo_order = 50

    def ready(self) -> None:
        from zhengtong.core.tasks import register_periodic

        # Importing the tasks imports notify.services, which registers the outbox handler.
        from zhengtong.notify.tasks import sms_receipts_task

        register_periodic("notify.sms_receipts", sms_receipts_task, 60)
