from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from zhengtong.core import signing


class SealsConfig(AppConfig):
    name = "zhengtong.seals"
    label = "seals"
    verbose_name = _("Electronic seals")
    api_prefix = "/seals"

    def ready(self) -> None:
        # Lazy: seals.services imports the models, which the app registry loads first.
        from zhengtong.seals.services import sign_bytes, verify_bytes

        signing.install(sign_bytes, verify_bytes)
