from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhengtong.accounts"
    label = "accounts"
    verbose_name = _("Identity and organisation")
    api_prefix = "/"

    def ready(self) -> None:
        from zhengtong.accounts import permissions
        from zhengtong.core import authz

        authz.install(permissions)
