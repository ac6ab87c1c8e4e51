"""Consents: what a person allowed a client to know, shown and revocable on 我的授权."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound
from zhengtong.identity.errors import IdentityError
from zhengtong.identity.models import Client, Consent, Token
from zhengtong.identity.server import revoke_tokens


@transaction.atomic
def consent_grant(*, actor: Any, client: Client, scopes: list[str]) -> Consent:
    """Record that ``actor`` allows ``client`` the ``scopes`` (added to what they allowed before,
    or anew after a revocation)."""
    now = timezone.now()
    consent = Consent.objects.select_for_update().filter(user=actor, client=client).first()
    if consent is None:
        consent = Consent.objects.create(
            user=actor, client=client, scopes=sorted(set(scopes)), granted_at=now
        )
    else:
        previous = [] if consent.revoked_at else consent.scopes
        consent.scopes = sorted(set(previous) | set(scopes))
        consent.granted_at, consent.revoked_at = now, None
        consent.save(update_fields=["scopes", "granted_at", "revoked_at"])
    audit.record(
        actor=actor,
        action="identity.consent_grant",
        target=client,
        org_unit=client.org_unit,
        after={"client": client.client_id, "scopes": consent.scopes},
    )
    return consent


@transaction.atomic
def consent_revoke(*, actor: Any, consent_id: int) -> Consent:
    """Revoke one of the actor's consents: the client's tokens for the actor are revoked too, and
    the next sign-in there asks again."""
    consent = (
        Consent.objects.select_for_update().select_related("client").filter(pk=consent_id, user=actor).first()
    )
    if consent is None:
        raise NotFound(_("no such authorization"))
    if consent.revoked_at is not None:
        raise Conflict(_("the authorization is revoked already"), code=IdentityError.CONSENT_REVOKED)
    now = timezone.now()
    consent.revoked_at = now
    consent.save(update_fields=["revoked_at"])
    revoked = revoke_tokens(Token.objects.filter(user=actor, client=consent.client), now)
    audit.record(
        actor=actor,
        action="identity.consent_revoke",
        target=consent.client,
        org_unit=consent.client.org_unit,
        after={"client": consent.client.client_id, "tokens_revoked": revoked},
    )
    return consent
