"""Data users' API keys and the data API's rate limits. A key is an accounts credential of kind
``data_api_key`` (the one credential mechanism); the catalogue keeps its own rules: who may
issue one, how many, with which limit, and its audit action names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import credentials
from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.kinds import SECRET_PREFIX, CredentialKind
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import actions as audit_actions
from zhengtong.catalog.errors import CatalogError
from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound, PermissionDenied, ValidationError

if TYPE_CHECKING:
    from zhengtong.accounts.models import Credential

audit_actions.register(
    {
        "catalog.key.create": gettext_lazy("Create data API key"),
        "catalog.key.revoke": gettext_lazy("Revoke data API key"),
    }
)


KEY_PREFIX = SECRET_PREFIX[CredentialKind.DATA_API_KEY]


@transaction.atomic
def api_key_create(
    *, actor: Any, name: str, rate_limit_per_minute: int | None = None
) -> tuple[Credential, str]:
    """Issue a data API key (an accounts credential of kind data_api_key) to ``actor``; returns
    the key and its secret (shown once)."""
    ensure_authenticated(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("is required (at most 100 characters)"))
    active = account_selectors.credentials_of(owner=actor, kind=CredentialKind.DATA_API_KEY)
    active = active.filter(revoked_at__isnull=True).count()
    if active >= settings.CATALOG_MAX_KEYS_PER_USER:
        raise ValidationError.for_field(
            "name",
            _("you hold %d active keys already; revoke one first") % active,
            code=CatalogError.TOO_MANY_KEYS,
        )
    limit = settings.CATALOG_KEY_RATE_LIMIT
    if rate_limit_per_minute is not None:
        # Raising a key's limit above the default is for data officers only.
        if rate_limit_per_minute < 1:
            raise ValidationError.for_field("rate_limit_per_minute", _("must be at least 1"))
        if rate_limit_per_minute > limit:
            ensure_can(actor, "catalog.manage_keys")
        limit = rate_limit_per_minute
    return credentials.credential_create(
        actor=actor,
        kind=CredentialKind.DATA_API_KEY,
        name=name,
        owner=actor,
        rate_limit_per_minute=limit,
        audit_action="catalog.key.create",
        audit_after={"name": name, "limit": limit},
    )


@transaction.atomic
def api_key_revoke(*, actor: Any, key: Credential) -> Credential:
    """Revoke a key (its owner, or a holder of catalog.manage_keys)."""
    ensure_authenticated(actor)
    if key.kind != CredentialKind.DATA_API_KEY:
        raise NotFound(_("no such key"))
    if key.owner_id != actor.pk:
        ensure_can(actor, "catalog.manage_keys")
    return credentials.credential_revoke(actor=actor, credential=key, audit_action="catalog.key.revoke")


def api_key_authenticate(secret: str) -> Credential | None:
    """The live data API key for ``secret``, or None."""
    return credentials.credential_authenticate(secret, kind=CredentialKind.DATA_API_KEY)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_check(request) -> Credential | None:
    """Count one data-API call against its key (``X-API-Key`` header, ``Authorization: Key ...``
    or ``?api_key=``) or, without one, against the caller's IP address. Returns the key (None
    when anonymous); raises RateLimited past the limit, PermissionDenied for an unknown key."""
    secret = request.headers.get("X-API-Key", "")
    auth = request.headers.get("Authorization", "")
    if not secret and auth.startswith(f"Key {KEY_PREFIX}"):
        secret = auth[4:].strip()
    if not secret and auth.startswith(f"Bearer {KEY_PREFIX}"):
        secret = auth[7:].strip()
    if not secret:
        secret = request.GET.get("api_key", "")
    if secret:
        key = api_key_authenticate(secret.strip())
        if key is None:
            raise PermissionDenied(_("unknown or revoked API key"), code=CatalogError.INVALID_API_KEY)
        ratelimit.hit(
            "catalog",
            f"k{key.pk}",
            limit=key.rate_limit_per_minute,
            message=_("rate limit of %d requests per minute reached") % key.rate_limit_per_minute,
        )
        return key
    limit = settings.CATALOG_ANON_RATE_LIMIT
    ratelimit.hit(
        "catalog",
        f"ip{_client_ip(request)}",
        limit=limit,
        message=_("rate limit of %d requests per minute reached; use an API key for more") % limit,
    )
    return None
