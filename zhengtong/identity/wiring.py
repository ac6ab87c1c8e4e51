"""How the identity centre plugs into the platform, installed once by ``IdentityConfig.ready()``:
permissions, roles and audit actions, the API's bearer check, the back-channel outbox handler,
periodic tasks and menus."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhengtong.accounts.services import BEARER_AUTHENTICATORS
from zhengtong.core.nav import register_nav
from zhengtong.core.tasks import register_periodic
from zhengtong.identity import backchannel, permissions  # noqa: F401 - backchannel registers its outbox handler
from zhengtong.identity.bearer import api_bearer
from zhengtong.identity.tasks import keys_task, purge_task


def install() -> None:
    permissions.install()
    BEARER_AUTHENTICATORS.add("identity.oidc_access_token", api_bearer)
    register_periodic("identity.keys", keys_task, 3600)
    register_periodic("identity.purge", purge_task, 6 * 3600)
    register_nav(
        "main",
        "identity:my_authorizations",
        _("My authorizations"),
        order=90,
        login_required=True,
        audiences=(),
    )
    register_nav("console", "identity:clients", _("Client registry"), permission="identity.manage_clients")
