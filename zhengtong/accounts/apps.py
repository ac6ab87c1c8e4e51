from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from zhengtong.core import authz


class AccountsConfig(AppConfig):
    name = "zhengtong.accounts"
    label = "accounts"
    verbose_name = _("Identity and organisation")
    api_prefix = "/"

    def ready(self) -> None:
        # Lazy: accounts.permissions imports the models, which need the app registry.
        from zhengtong.accounts import permissions

        authz.install(permissions)
