"""The client registry: administrators register relying parties, rotate their secrets (through
the platform's one credential model, kind ``client_secret``) and disable them at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import credentials
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, CoreError, ValidationError
from zhengtong.identity import claims, entitlements
from zhengtong.identity.errors import IdentityError
from zhengtong.identity.models import Client, ClientType, SubjectType, Token
from zhengtong.identity.server import forget_clients, revoke_tokens

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
PERMISSION = "identity.manage_clients"


def _check_uris(field: str, uris: list[str], *, required: bool) -> list[str]:
    cleaned = [u.strip() for u in uris if u and u.strip()]
    if required and not cleaned:
        raise ValidationError.for_field(field, _("at least one URI"))
    for uri in cleaned:
        parts = urlsplit(uri)
        if parts.scheme not in {"https", "http"} or not parts.netloc or parts.fragment:
            raise ValidationError.for_field(
                field, _("absolute http(s) URIs without a fragment: %s") % uri[:100]
            )
        if "*" in uri or "@" in parts.netloc or any(c.isspace() for c in uri) or len(uri) > 500:
            raise ValidationError.for_field(
                field, _("one exact URI per line (no wildcard, user name or spaces): %s") % uri[:100]
            )
        if parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
            raise ValidationError.for_field(
                field, _("http is allowed only for loopback addresses: %s") % uri[:100]
            )
    return list(dict.fromkeys(cleaned))


SCOPE_CHOICES = (*claims.SCOPES, *entitlements.FAMILIES.values())


def _check_scopes(scopes: list[str], grant_types: list[str], client_type: str) -> None:
    bad = [s for s in scopes if s not in SCOPE_CHOICES]
    if bad or "openid" not in scopes and "authorization_code" in grant_types:
        raise ValidationError.for_field(
            "scopes", _("choose from: %s (with openid)") % ", ".join(SCOPE_CHOICES)
        )
    if any(s in entitlements.FAMILIES.values() for s in scopes) and (
        client_type != ClientType.CONFIDENTIAL or "client_credentials" not in grant_types
    ):
        raise ValidationError.for_field(
            "scopes", _("data entitlements are for confidential clients with client credentials")
        )


@transaction.atomic
def client_create(
    *,
    actor: Any,
    client_id: str,
    name: str,
    org_unit: Any,
    department: Any = None,
    purpose: str,
    client_type: str,
    redirect_uris: list[str],
    scopes: list[str],
    grant_types: list[str],
    sector: str,
    subject_type: str = SubjectType.PAIRWISE,
    public_sub_reason: str = "",
    legal_basis: str = "",
    id_token_alg: str = "RS256",  # noqa: S107 - an algorithm name, not a password
    post_logout_redirect_uris: list[str] | None = None,
    backchannel_logout_uri: str = "",
    logo_url: str = "",
    known_secret: str | None = None,
) -> tuple[Client, str | None]:
    """Register a client; returns it with its secret (confidential clients; shown once).

    Redirect URIs are matched exactly later, so they are validated here (absolute, https except
    loopback, no fragment). A public client gets no secret and must use PKCE; public ``sub`` needs
    a reason; the ``id_number`` scope needs a legal basis."""
    ensure_can(actor, PERMISSION, org_unit)
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 64 or not all(c.isalnum() or c in "-_" for c in client_id):
        raise ValidationError.for_field("client_id", _("1 to 64 letters, digits, - or _"))
    if Client.objects.filter(client_id=client_id).exists():
        raise Conflict(_("a client with this ID exists"), code=CoreError.DUPLICATE)
    name, purpose, sector = (name or "").strip(), (purpose or "").strip(), (sector or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("1 to 100 characters"))
    if not purpose or len(purpose) > 300:
        raise ValidationError.for_field("purpose", _("1 to 300 characters: shown on the consent page"))
    if not sector or len(sector) > 100:
        raise ValidationError.for_field("sector", _("1 to 100 characters"))
    if client_type not in ClientType.values:
        raise ValidationError.for_field("client_type", _("choose from: %s") % ", ".join(ClientType.values))
    if subject_type not in SubjectType.values:
        raise ValidationError.for_field("subject_type", _("choose from: %s") % ", ".join(SubjectType.values))
    if subject_type == SubjectType.PUBLIC and not (public_sub_reason or "").strip():
        raise ValidationError.for_field(
            "public_sub_reason", _("public subject identifiers need a stated reason")
        )
    _check_scopes(scopes, grant_types, client_type)
    if "id_number" in scopes and not (legal_basis or "").strip():
        raise ValidationError.for_field("legal_basis", _("the id_number scope needs a stated legal basis"))
    if not grant_types or any(g not in GRANT_TYPES for g in grant_types):
        raise ValidationError.for_field("grant_types", _("choose from: %s") % ", ".join(GRANT_TYPES))
    if client_type == ClientType.PUBLIC and "client_credentials" in grant_types:
        raise ValidationError.for_field("grant_types", _("a public client cannot use client credentials"))
    if id_token_alg not in {"RS256", "ES256"}:
        raise ValidationError.for_field("id_token_alg", _("RS256 or ES256"))
    if department is not None and department.org_unit_id != org_unit.pk:
        raise ValidationError.for_field("department", _("the department must belong to the org unit"))
    redirect = _check_uris("redirect_uris", redirect_uris, required="authorization_code" in grant_types)
    after_logout = _check_uris("post_logout_redirect_uris", post_logout_redirect_uris or [], required=False)
    if backchannel_logout_uri:
        _check_uris("backchannel_logout_uri", [backchannel_logout_uri], required=False)
    client = Client.objects.create(
        client_id=client_id,
        name=name,
        org_unit=org_unit,
        department=department,
        purpose=purpose,
        logo_url=logo_url,
        client_type=client_type,
        redirect_uris=redirect,
        post_logout_redirect_uris=after_logout,
        backchannel_logout_uri=backchannel_logout_uri,
        scopes=list(dict.fromkeys(scopes)),
        grant_types=list(dict.fromkeys(grant_types)),
        sector=sector,
        subject_type=subject_type,
        public_sub_reason=(public_sub_reason or "").strip(),
        legal_basis=(legal_basis or "").strip(),
        id_token_alg=id_token_alg,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    secret = None
    if client_type == ClientType.CONFIDENTIAL:
        row, secret = credentials.credential_create(
            actor=actor,
            kind=CredentialKind.CLIENT_SECRET,
            name=f"OIDC {client_id}",
            org_unit=org_unit,
            audit_action="identity.client_secret_rotate",
            audit_target=client,
            audit_after={"client": client_id},
            known_secret=known_secret,
        )
        client.secret = row
        client.save(update_fields=["secret"])
        forget_clients()
    audit.record(
        actor=actor,
        action="identity.client_create",
        target=client,
        org_unit=org_unit,
        after={"client_id": client_id, "type": client_type, "scopes": client.scopes, "sector": sector},
    )
    return client, secret


def _scope_q(scope: str) -> Q:
    """Tokens whose space-separated scope holds ``scope``."""
    return (
        Q(scope=scope)
        | Q(scope__startswith=f"{scope} ")
        | Q(scope__endswith=f" {scope}")
        | Q(scope__contains=f" {scope} ")
    )


@transaction.atomic
def client_update(
    *, actor: Any, client: Client, redirect_uris: list[str], scopes: list[str], enabled: bool
) -> Client:
    """Change a client's redirect URIs (matched exactly: absolute, https except loopback, no
    fragment or wildcard) and allowed scopes, and disable it, in one step. Live tokens carrying a
    scope no longer allowed are revoked; disabling revokes every live token (as ``client_disable``)."""
    ensure_can(actor, PERMISSION, client.org_unit)
    scopes = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    _check_scopes(scopes, client.grant_types, client.client_type)
    if "id_number" in scopes and not client.legal_basis:
        raise ValidationError.for_field("scopes", _("the id_number scope needs a stated legal basis"))
    redirect = _check_uris(
        "redirect_uris", redirect_uris, required="authorization_code" in client.grant_types
    )
    before = {"redirect_uris": client.redirect_uris, "scopes": client.scopes, "enabled": client.enabled}
    removed = [s for s in client.scopes if s not in scopes]
    now = timezone.now()
    revoked = 0
    live = Token.objects.filter(client=client, revoked_at__isnull=True)
    if not enabled and client.enabled:
        revoked = revoke_tokens(live, now)
    elif removed:
        q = Q(pk__in=[])
        for scope in removed:
            # A data family (sharing:grant:*) allowed the scopes beneath it.
            q |= Q(scope__contains=scope[:-1]) if scope.endswith(":*") else _scope_q(scope)
        revoked = revoke_tokens(live.filter(q), now)
    client.redirect_uris, client.scopes, client.enabled = redirect, scopes, enabled
    client.save(update_fields=["redirect_uris", "scopes", "enabled"])
    forget_clients()
    after = {"redirect_uris": redirect, "scopes": scopes, "enabled": enabled}
    if before != after:
        audit.record(
            actor=actor,
            action="identity.client_update",
            target=client,
            org_unit=client.org_unit,
            before=before,
            after={**after, "tokens_revoked": revoked},
        )
    return client


@transaction.atomic
def client_secret_rotate(*, actor: Any, client: Client) -> str:
    """A new secret for a confidential client (shown once); the old one stops working now."""
    ensure_can(actor, PERMISSION, client.org_unit)
    if client.is_public or client.secret is None:
        raise Conflict(_("a public client has no secret"), code=IdentityError.PUBLIC_CLIENT_SECRET)
    row, secret = credentials.credential_rotate(
        actor=actor, credential=client.secret, audit_action="identity.client_secret_rotate"
    )
    client.secret = row
    client.save(update_fields=["secret"])
    forget_clients()
    return secret


@transaction.atomic
def client_disable(*, actor: Any, client: Client) -> Client:
    """Disable a client at once: it can neither sign anyone in nor use a token it holds (every
    live token is revoked)."""
    ensure_can(actor, PERMISSION, client.org_unit)
    if not client.enabled:
        return client
    client.enabled = False
    client.save(update_fields=["enabled"])
    forget_clients()
    revoked = revoke_tokens(Token.objects.filter(client=client))
    audit.record(
        actor=actor,
        action="identity.client_disable",
        target=client,
        org_unit=client.org_unit,
        after={"tokens_revoked": revoked},
    )
    return client


@transaction.atomic
def client_enable(*, actor: Any, client: Client) -> Client:
    ensure_can(actor, PERMISSION, client.org_unit)
    if not client.enabled:
        client.enabled = True
        client.save(update_fields=["enabled"])
        forget_clients()
        audit.record(actor=actor, action="identity.client_enable", target=client, org_unit=client.org_unit)
    return client


DATA_SCOPE_PREFIX = "data:"


@transaction.atomic
def data_key_issue(*, actor: Any, client: Client, scopes: list[str], days: int = 90) -> tuple[Any, str]:
    """A data-API key for a department system, scoped to the named data entitlements
    (``data:<resource or grant>``), expiring in ``days``: how consumer systems get data access
    until the sharing grants and sandbox projects become scopes of client-credentials tokens
    (issue 12, item 6). A ``data_api_key`` credential of the one credential model, owned by the
    administrator issuing it, limited to the client's org unit."""
    ensure_can(actor, PERMISSION, client.org_unit)
    cleaned = sorted({s.strip() for s in scopes if s and s.strip()})
    if not cleaned or any(not s.startswith(DATA_SCOPE_PREFIX) or len(s) > 100 for s in cleaned):
        raise ValidationError.for_field("scopes", _("one or more data:<name> entitlements"))
    if not 1 <= days <= 366:
        raise ValidationError.for_field("days", _("between 1 and 366"))
    if not client.enabled:
        raise Conflict(_("the client is disabled"), code=IdentityError.CLIENT_DISABLED)
    return credentials.credential_create(
        actor=actor,
        kind=CredentialKind.DATA_API_KEY,
        name=f"{client.client_id}: {' '.join(cleaned)}"[:100],
        owner=actor,
        org_unit=client.org_unit,
        scopes=cleaned,
        expires_at=timezone.now() + timedelta(days=days),
        audit_action="identity.data_key_issue",
        audit_target=client,
        audit_after={"client": client.client_id, "scopes": cleaned, "days": days},
    )
