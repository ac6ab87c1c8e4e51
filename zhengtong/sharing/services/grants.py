"""Grants (共享授权): the consumer's key bound to a grant; suspension, revocation and expiry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts import credentials
from zhengtong.accounts.kinds import CredentialKind
from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.errors import Conflict, PermissionDenied
from zhengtong.sharing.models import DeliveryMode, Grant
from zhengtong.sharing.services.exchange import forget_grants


def _ensure_consumer(actor: Any, grant: Grant) -> None:
    if grant.consumer_installation:
        # Granted to another installation: its key goes there, signed (peer_requests).
        raise PermissionDenied(_("this grant's consumer is another installation"))
    ensure_can(actor, "sharing.request", grant.consumer_org_unit, grant.consumer_department)


@transaction.atomic
def grant_key_issue(*, actor: Any, grant: Grant) -> tuple[Any, str]:
    """Issue (or replace) the key the consumer's system presents for ``grant``: an
    ``accounts.credentials`` key of kind ``sharing_key`` bound to the grant, expiring with it,
    rate-limited as it is. Only the consumer department's staff; the secret is shown once."""
    _ensure_consumer(actor, grant)
    return _key_issue(actor, grant, grant.consumer_org_unit)


@transaction.atomic
def grant_key_issue_remote(*, grant: Grant, installation: str) -> tuple[Any, str]:
    """Issue (or replace) the key of a grant made to another installation, for the signed answer
    that carries it there (``peer_requests.incoming_status``: the message was signed by
    ``installation``, the grant's consumer). Kept under the owner's org unit; audited the same."""
    if grant.consumer_installation != installation:
        raise PermissionDenied(_("this grant was not made to that installation"))
    return _key_issue(None, grant, grant.org_unit)


def _key_issue(actor: Any, grant: Grant, org_unit: Any) -> tuple[Any, str]:
    if grant.state != "active" or grant.mode == DeliveryMode.BATCH:
        raise Conflict(_("only an active interface or verification grant has a key"))
    if grant.credential_id is not None and grant.credential.revoked_at is None:
        credentials.credential_revoke(
            actor=actor, credential=grant.credential, audit_action="sharing.key.revoke", audit_target=grant
        )
    row, secret = credentials.credential_create(
        actor=actor,
        kind=CredentialKind.SHARING_KEY,
        name=f"grant {grant.pk}"[:100],
        org_unit=org_unit,
        scopes=[f"sharing.grant:{grant.pk}"],
        rate_limit_per_minute=grant.rate_limit_per_minute,
        expires_at=grant.expires_at,
        audit_action="sharing.key.issue",
        audit_target=grant,
        audit_after={"grant": grant.pk, "installation": grant.consumer_installation},
    )
    grant.credential = row
    grant.save(update_fields=["credential"])
    forget_grants()
    return row, secret


def _revoke_key(grant: Grant, actor: Any) -> None:
    if grant.credential_id is not None:
        credentials.credential_revoke(
            actor=actor, credential=grant.credential, audit_action="sharing.key.revoke", audit_target=grant
        )


@transaction.atomic
def grant_suspend(*, actor: Any, grant: Grant, note: str) -> Grant:
    """Stop every call under ``grant`` at once (the owner or the data security officer)."""
    grant.workflow.apply(grant, "suspend", actor=actor, note=note)
    forget_grants()
    return grant


@transaction.atomic
def grant_resume(*, actor: Any, grant: Grant, note: str = "") -> Grant:
    grant.workflow.apply(grant, "resume", actor=actor, note=note)
    forget_grants()
    return grant


@transaction.atomic
def grant_revoke(*, actor: Any, grant: Grant, note: str) -> Grant:
    """End ``grant`` for good; its key is revoked in the same transaction."""
    grant.workflow.apply(grant, "revoke", actor=actor, note=note)
    _revoke_key(grant, actor)
    forget_grants()
    return grant


def grants_expire(*, now=None) -> int:
    """Expire every grant past its end (the periodic task; actor None via "sharing")."""
    now = now or timezone.now()
    done = 0
    for grant in Grant.objects.filter(state__in=["active", "suspended"], expires_at__lte=now).select_related(
        "credential"
    ):
        with transaction.atomic():
            grant.workflow.apply(grant, "expire", actor=None, via="sharing")
            _revoke_key(grant, None)
            forget_grants()
        done += 1
    return done
