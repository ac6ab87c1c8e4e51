"""The authorization decision: a signed-in person allows a client; Authlib issues the code."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from zhengtong.accounts import signin
from zhengtong.audit import services as audit
from zhengtong.core import ratelimit
from zhengtong.core.middleware import client_ip
from zhengtong.identity import claims
from zhengtong.identity.ids import plain_client_id
from zhengtong.identity.models import Client
from zhengtong.identity.server import server
from zhengtong.identity.services.consents import consent_grant

SESSION_SID = "zt_oidc_sid"


def session_sid(request: HttpRequest) -> str:
    """This browser session's identifier at the provider (``sid`` in ID and logout tokens)."""
    sid = request.session.get(SESSION_SID)
    if not sid:
        sid = request.session[SESSION_SID] = secrets.token_urlsafe(16)
    return sid


@transaction.atomic
def authorize_issue(
    *, request: HttpRequest, actor: Any, grant: Any, consent_scopes: list[str] | None, entity: Any = None
):
    """Issue an authorization code to ``grant``'s client for ``actor`` and return the redirect.

    ``consent_scopes``: the scopes the person just allowed on the consent page (None: an earlier
    consent covers the request). ``entity``: the legal entity an agent chose, one of
    ``claims.entities_for(actor)`` (the caller checked). The code remembers the assurance level
    (acr: registered, real-name, real-name with a second factor in this session), the sign-in
    time and the session id."""
    client = grant.request.client
    if consent_scopes is not None:
        consent_grant(actor=actor, client=client, scopes=consent_scopes)
    second_factor = request.session.get(signin.SECOND_FACTOR_DONE) == actor.pk
    grant.request.zt_context = {
        "acr": claims.acr_for(actor, second_factor=second_factor),
        "amr": ["pwd", "otp"] if second_factor else ["pwd"],
        "auth_time": int(actor.last_login.timestamp()) if actor.last_login else None,
        "sid": session_sid(request),
        "entity_uscc": entity.uscc if entity is not None else "",
        "entity_delegation": claims.delegation_of(actor, entity) if entity is not None else "",
    }
    if grant.request.zt_context["auth_time"] is None:
        del grant.request.zt_context["auth_time"]
    response = server.create_authorization_response(request, grant_user=actor, grant=grant)
    audit.record(
        actor=actor,
        action="identity.authorize",
        target=client,
        org_unit=client.org_unit,
        after={
            "client": client.client_id,
            "scope": grant.request.scope,
            "acr": grant.request.zt_context["acr"],
            **({"entity": entity.uscc} if entity is not None else {}),
        },
    )
    return response


def _failure_budget(request: HttpRequest) -> tuple[str, dict]:
    return client_ip(request) or "unknown", {
        "limit": settings.IDENTITY_FAILURES_PER_ADDRESS,
        "window_seconds": 600,
    }


def authorization_refused(
    *, request: HttpRequest, actor: Any, client_id: str, error: str, description: str
) -> None:
    """Audit a refused authorization request of a registered client (bounded per client address:
    past the budget the refusals are still refused, just no longer recorded one by one). A
    request naming no registered client is refused without a record, so anonymous junk cannot
    grow the audit trail."""
    client_id = plain_client_id(client_id)
    if not client_id or not Client.objects.filter(client_id=client_id).exists():
        return
    address, budget = _failure_budget(request)
    if (
        ratelimit.incr("identity.refusals", address, window_seconds=budget["window_seconds"])
        > budget["limit"]
    ):
        return
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="identity.authorize_refused",
        target_type="identity.client",
        target_id="",
        target_label=(client_id or "")[:64],
        after={"error": error, "description": (description or "")[:200]},
    )
