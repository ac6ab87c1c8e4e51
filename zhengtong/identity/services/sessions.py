"""Ending sessions (RP-initiated logout, with back-channel notices), refused token requests,
and key rotation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core import outbox, ratelimit
from zhengtong.identity import claims, keys
from zhengtong.identity.backchannel import TOPIC
from zhengtong.identity.ids import plain_client_id
from zhengtong.identity.models import Client, Token
from zhengtong.identity.server import issuer, revoke_tokens
from zhengtong.identity.services.authorize import SESSION_SID, _failure_budget


def _end_tokens_of_session(request: HttpRequest) -> int:
    """Revoke the tokens issued in this browser session and queue a back-channel logout notice to
    every client that registered for them and had a token in it; returns how many are notified."""
    user = request.user if request.user.is_authenticated else None
    sid = request.session.get(SESSION_SID, "")
    if user is None or not sid:
        return 0
    notified = 0
    rows = Token.objects.filter(user=user, sid=sid).select_related("client")
    clients = {row.client for row in rows}
    revoke_tokens(rows)
    for other in clients:
        if other.backchannel_logout_uri and other.enabled:
            outbox.enqueue(
                topic=TOPIC,
                key=f"{other.client_id}:{sid}",
                payload={
                    "client_id": other.client_id,
                    "sub": claims.client_subject(user.pk, other),
                    "sid": sid,
                    "iss": issuer(),
                },
            )
            notified += 1
    return notified


@transaction.atomic
def session_logout(*, request: HttpRequest, client: Any = None) -> int:
    """Sign the browser session out (RP-initiated logout): revoke the tokens issued in this
    session, send a back-channel logout notice (through the outbox) to every client that
    registered for them and had a token in it, and end the Django session. Returns how many
    clients are notified."""
    user = request.user if request.user.is_authenticated else None
    notified = _end_tokens_of_session(request)
    if user is not None:
        audit.record(
            actor=user,
            action="identity.logout",
            target=client if client is not None else user,
            after={"client": getattr(client, "client_id", ""), "notified": notified},
            via="identity",
        )
    logout(request)
    return notified


@transaction.atomic
def portal_signed_out(*, request: HttpRequest) -> int:
    """For the portal's own sign-out, just before it ends the session: the applications the person
    signed in to through this session lose their tokens and are told (back-channel logout).
    Writes nothing when the session signed in to none."""
    return _end_tokens_of_session(request)


def token_refused(
    *, request: HttpRequest, client_id: str, endpoint: str, error: str, description: str = ""
) -> None:
    """Audit a refused token, introspection or revocation request that names a registered client
    (bounded per client address; requests naming none are refused without a record)."""
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
        actor=None,
        action="identity.token_refused",
        target_type="identity.client",
        target_id="",
        target_label=(client_id or "")[:64],
        after={"endpoint": endpoint, "error": error, **({"description": description} if description else {})},
    )


@transaction.atomic
def keys_rotate(*, actor: Any, via: str = "") -> list[str]:
    """New active ES256 and RS256 keys; the old ones stay published until their tokens expire.
    ``actor=None`` with ``via`` for the periodic rotation."""
    if actor is not None:
        ensure_can(actor, "identity.manage_clients")
    rows = keys.rotate()
    audit.record(
        actor=actor,
        action="identity.keys_rotate",
        target_type="identity.signingkey",
        target_id="",
        target_label=", ".join(r.kid for r in rows),
        after={"kids": [r.kid for r in rows]},
        via=via,
    )
    return [r.kid for r in rows]
