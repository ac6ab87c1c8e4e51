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
        _forget_people_on_change()


def _forget_people_on_change() -> None:
    """A person's cached record (``selectors.user_cached`` and what derives from it) is dropped
    when the person or one of their role grants is saved or deleted; a sign-in that only sets
    ``last_login`` keeps it."""
    from django.db.models.signals import post_delete, post_save

    from zhengtong.accounts.models import RoleGrant, User
    from zhengtong.accounts.selectors import forget_user

    def on_user(sender, instance, update_fields=None, **kwargs):
        if update_fields is not None and set(update_fields) <= {"last_login"}:
            return
        forget_user(instance.pk)

    def on_grant(sender, instance, **kwargs):
        forget_user(instance.user_id)

    for signal in (post_save, post_delete):
        signal.connect(on_user, sender=User, weak=False, dispatch_uid="accounts.forget_user")
        signal.connect(on_grant, sender=RoleGrant, weak=False, dispatch_uid="accounts.forget_user_grants")
