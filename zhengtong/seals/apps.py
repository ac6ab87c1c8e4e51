from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SealsConfig(AppConfig):
    name = "zhengtong.seals"
    label = "seals"
    verbose_name = _("Electronic seals")
    api_prefix = "/seals"
