"""Every read of the identity centre, scoped by the actor."""

from __future__ import annotations

import time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from joserfc.errors import JoseError

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import subtree_q
from zhengtong.core.errors import NotFound
from zhengtong.identity.ids import plain_client_id
from zhengtong.identity.models import Client, Consent, SigningKey, Token
from zhengtong.identity.server import (
    FORMAT,
    FORMAT_CLAIM,
    PERSON_CLAIM,
    enabled_client,
    open_person,
    revoked_jtis,
    verified,
)

PERMISSION = "identity.manage_clients"


def clients_for(actor: Any) -> QuerySet[Client]:
    """The clients registered in the org units where the actor may manage clients."""
    units = account_selectors.user_scope_units(actor, PERMISSION)
    if not units:
        return Client.objects.none()
    q = Q()
    for unit in units:
        q |= subtree_q(unit.path, "org_unit__path")
    return Client.objects.filter(q).select_related("department", "org_unit", "secret").order_by("client_id")


def client_get_for(actor: Any, pk: Any) -> Client:
    client = clients_for(actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if client is None:
        raise NotFound("no such client")
    return client


def client_by_client_id(client_id: str) -> Client | None:
    return (
        Client.objects.select_related("department", "org_unit")
        .filter(client_id=plain_client_id(client_id))
        .first()
    )


def consents_of(user: Any) -> QuerySet[Consent]:
    """The person's consents, live first, newest first."""
    return (
        Consent.objects.filter(user=user)
        .select_related("client", "client__department")
        .order_by("revoked_at", "-granted_at")
    )


def consent_covers(user: Any, client: Client, scopes: list[str]) -> bool:
    consent = Consent.objects.filter(user=user, client=client, revoked_at__isnull=True).first()
    return consent is not None and set(scopes) <= set(consent.scopes)


def signing_keys() -> QuerySet[SigningKey]:
    return SigningKey.objects.exclude(status=SigningKey.Status.RETIRED).order_by("alg", "-created_at")


_VERIFY_FIELDS = (
    "jti", "scope", "acr", "entity_uscc", "entity_delegation", "expires_at", "revoked_at",
    "client__client_id", "client__enabled", "client__subject_type", "client__sector",
    "client__legal_basis", "client__scopes", "user",
)  # fmt: skip


class VerifiedAccess:
    """A live access token known from its verified claims: what userinfo and the API read of it
    (the same attributes as a token row)."""

    __slots__ = ("client", "user", "user_id", "scope", "acr", "entity_uscc", "entity_delegation")

    def __init__(self, *, client, user, scope, acr, entity_uscc, entity_delegation):
        self.client, self.user, self.scope, self.acr = client, user, scope, acr
        self.user_id = user.pk if user is not None else None
        self.entity_uscc, self.entity_delegation = entity_uscc, entity_delegation


def _from_claims(values: dict) -> tuple[VerifiedAccess | None, str]:
    """A format-3 token from its claims alone: not in the revocation set, an enabled client
    (cached), the person it acts for (``zt_p``) active (cached with the person). No query once
    the caches are warm."""
    person = None
    if values.get(PERSON_CLAIM) is not None:
        person = open_person(str(values[PERSON_CLAIM]))
        if person is None:
            return None, "the token is malformed or its signature does not verify"
    if str(values["jti"]) in revoked_jtis():
        return None, "the token was revoked"
    client = enabled_client(str(values.get("client_id") or ""))
    if client is None:
        return None, "the client is disabled"
    user = None
    if person is not None:
        user = account_selectors.user_cached(person[0])
        if user is None or not user.is_active:
            return None, "the account is disabled"
    found = VerifiedAccess(
        client=client,
        user=user,
        scope=str(values.get("scope") or ""),
        acr=str(values.get("acr") or ""),
        entity_uscc=person[1] if person else "",
        entity_delegation=person[2] if person else "",
    )
    return found, ""


def access_token_verify(raw: str) -> tuple[Token | VerifiedAccess | None, dict, str]:
    """The live JWT access token we issued (its row, or for tokens that carry the person, a
    ``VerifiedAccess`` from the claims) and its claims, or (None, {}, reason): a bad signature, an
    unknown key, expiry, a revoked token, a disabled client or account."""
    try:
        header, values = verified(raw)
    except (JoseError, ValueError):
        return None, {}, "the token is malformed or its signature does not verify"
    if header.get("typ") != "at+jwt":
        return None, {}, "not an access token"
    exp = values.get("exp")
    if not isinstance(exp, int) or not values.get("jti"):
        return None, {}, "the token is malformed or its signature does not verify"
    if exp <= time.time():
        return None, {}, "the token has expired"
    if values.get(FORMAT_CLAIM) == FORMAT:
        found, reason = _from_claims(values)
        return (found, values, "") if found is not None else (None, {}, reason)
    # Tokens issued before format 3: the row (get() on the unique jti, only the columns read).
    try:
        row = Token.objects.select_related("client", "user").only(*_VERIFY_FIELDS).get(jti=str(values["jti"]))
    except Token.DoesNotExist:
        row = None
    if row is None or row.revoked_at is not None:
        return None, {}, "the token was revoked"
    if not row.client.enabled:
        return None, {}, "the client is disabled"
    if row.user is not None and not row.user.is_active:
        return None, {}, "the account is disabled"
    if row.expires_at <= timezone.now():
        return None, {}, "the token has expired"
    return row, values, ""
