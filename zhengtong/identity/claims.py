"""Who the person is to a client: the subject identifier (pairwise per sector by default), the
assurance level (``acr``) and the claims each scope releases.

Scopes and their claims (the consent page lists them; discovery publishes them):

- ``openid``: ``sub``; ``profile``: ``name``, ``locale``; ``phone``: ``phone_number``;
- ``id_number_masked``: the resident ID with its middle masked; ``id_number``: the full resident ID,
  only for clients that have this scope and a stated legal basis;
- ``enterprise``: the legal entity the agent chose at sign-in (``entity``: credit code and name)
  and the agent's ``delegation`` (legal representative, or authorised);
- ``staff``: ``org_unit``, ``department`` and ``roles`` (role and org unit of each grant);
- ``api:read`` / ``api:write``: no claims; the access token may call /api/v1 (read, or read and write).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import cache
from zhengtong.core.masking import mask_resident_id
from zhengtong.registry import selectors as registry_selectors

SCOPES = {
    "openid": _("Sign you in (an identifier for you at this application)"),
    "profile": _("Your name and language"),
    "phone": _("Your mobile number"),
    "id_number_masked": _("Your resident ID number, with its middle digits masked"),
    "id_number": _("Your full resident ID number"),
    "enterprise": _("The enterprise you act for, and your authorisation"),
    "staff": _("Your org unit, department and roles"),
    "offline_access": _("Stay connected while you are away (refresh tokens)"),
    "api:read": _("Read data through the platform API as you"),
    "api:write": _("Change data through the platform API as you"),
}

SCOPE_CLAIMS = {
    "openid": ["sub"],
    "profile": ["name", "locale"],
    "phone": ["phone_number"],
    "id_number_masked": ["id_number_masked"],
    "id_number": ["id_number"],
    "enterprise": ["entity", "delegation"],
    "staff": ["org_unit", "department", "roles"],
}

ACR_REGISTERED = "urn:zhengtong:loa:registered"
ACR_REAL_NAME = "urn:zhengtong:loa:real-name"
ACR_REAL_NAME_2FA = "urn:zhengtong:loa:real-name-2fa"
ACR_VALUES = [ACR_REGISTERED, ACR_REAL_NAME, ACR_REAL_NAME_2FA]


def _pairwise_key() -> bytes:
    if settings.IDENTITY_PAIRWISE_KEY:
        return settings.IDENTITY_PAIRWISE_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"zhengtong.identity.pairwise", hashlib.sha256).digest()


def subject_for(user_id: int, *, sector: str) -> str:
    """The ``sub`` of user ``user_id`` in ``sector``: HMAC-SHA256 of sector and user id (OIDC Core
    8.1), so two sectors cannot link their identifiers and the user id does not leak. A client with
    public subjects uses the sector ``"public"``."""
    mac = hmac.new(_pairwise_key(), f"{sector}\x00{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:20]).decode().rstrip("=")


def client_subject(user_id: int, client: Any) -> str:
    sector = "public" if client.subject_type == "public" else client.sector
    return subject_for(user_id, sector=sector)


def acr_for(user: Any, *, second_factor: bool) -> str:
    """The assurance level: registered, real-name verified against the population registry, or
    real-name verified and signed in with a second factor."""
    if not user.is_real_name:
        return ACR_REGISTERED
    return ACR_REAL_NAME_2FA if second_factor else ACR_REAL_NAME


def entities_for(user: Any) -> list[Any]:
    """The legal entities the agent may act for now (legal representative or live authorisation),
    through the registry's own rule (``may_act_for``)."""
    candidates = {e.pk: e for e in registry_selectors.entities_represented_by(user)}
    for auth in registry_selectors.authorizations_held_by(user):
        candidates.setdefault(auth.entity_id, auth.entity)
    return [e for e in candidates.values() if registry_selectors.may_act_for(user, e)]


def delegation_of(user: Any, entity: Any) -> str:
    return (
        "legal_representative" if registry_selectors.is_legal_representative(user, entity) else "authorised"
    )


def user_claims(
    user: Any, *, scope: str, client: Any, entity_uscc: str = "", entity_delegation: str = ""
) -> dict:
    """The claims ``scope`` releases about ``user`` to ``client``."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": client_subject(user.pk, client)}
    if "profile" in scopes:
        person = registry_selectors.my_person(user)
        claims["name"] = person.name if person else (user.get_full_name() or user.username)
        claims["locale"] = user.language or settings.LANGUAGE_CODE
    if "phone" in scopes and user.phone:
        claims["phone_number"] = user.phone
        claims["phone_number_verified"] = False
    if "id_number_masked" in scopes and user.is_real_name:
        claims["id_number_masked"] = mask_resident_id(user.resident_id)
    if "id_number" in scopes and user.is_real_name and client.legal_basis and "id_number" in client.scopes:
        claims["id_number"] = user.resident_id
    if "enterprise" in scopes and entity_uscc:
        entity = next((e for e in entities_for(user) if e.uscc == entity_uscc), None)
        if entity is not None:  # the authorisation may have ended since sign-in
            claims["entity"] = {"uscc": entity.uscc, "name": entity.name}
            claims["delegation"] = entity_delegation or delegation_of(user, entity)
    if "staff" in scopes and user.is_staff_member:
        claims["org_unit"] = user.org_unit.code if user.org_unit_id else None
        claims["department"] = user.department.code if user.department_id else None
        claims["roles"] = [
            {"role": g.role, "org_unit": g.org_unit.code} for g in account_selectors.user_grants(user)
        ]
    return claims


def user_claims_cached(
    user: Any, *, scope: str, client: Any, entity_uscc: str = "", entity_delegation: str = ""
) -> dict:
    """``user_claims``, kept per process with the person's record (``accounts.selectors.
    user_namespace``: dropped when the person or their role grants change, else after
    ``ACCOUNTS_USER_CACHE_SECONDS``). The ``enterprise`` scope is answered live (an authorisation to act
    for an entity may end at any time)."""
    if "enterprise" in scope.split():
        return user_claims(
            user, scope=scope, client=client, entity_uscc=entity_uscc, entity_delegation=entity_delegation
        )
    # Everything of the client that the answer depends on: its sector and the id_number rule.
    key = "\x00".join(
        ("claims", client.subject_type, client.sector, str(bool(client.legal_basis)),
         str("id_number" in client.scopes), " ".join(sorted(set(scope.split()))))
    )  # fmt: skip
    found = cache.cached(
        account_selectors.user_namespace(user.pk),
        key,
        lambda: user_claims(user, scope=scope, client=client),
        settings.ACCOUNTS_USER_CACHE_SECONDS,
        local=True,
        shared=False,  # personal data stays in the process
    )
    return copy.deepcopy(found)
