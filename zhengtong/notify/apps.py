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
        from zhengtong.notify.tasks import deliveries_retry_task, sms_receipts_task

        register_periodic("notify.deliveries_retry", deliveries_retry_task, 60)
        register_periodic("notify.sms_receipts", sms_receipts_task, 60)
