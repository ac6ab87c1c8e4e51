"""Real-name identity (实名认证), authorisations to act for a legal entity (授权) and the link of
enterprise agents to the entity they act for."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.permissions import ensure_authenticated
from zhengtong.accounts.selectors import resident_id_verified_by_other
from zhengtong.audit import services as audit
from zhengtong.core import ratelimit
from zhengtong.core.errors import Conflict, CoreError, PermissionDenied, ValidationError
from zhengtong.core.identifiers import validate_uscc
from zhengtong.registry.errors import RegistryError
from zhengtong.registry.models import EntityAuthorization, LegalEntity, Person
from zhengtong.registry.selectors import is_legal_representative, may_act_for
from zhengtong.registry.services.records import _identifier, _required, parse_resident_id_field

if TYPE_CHECKING:
    from zhengtong.accounts.models import User


# Failed real-name attempts allowed per account and per resident ID number in a window: a
# wrong name and an ID another account holds both count (and answer alike), so nobody can try
# names against an ID number, nor learn which ID numbers have an account.
REAL_NAME_FAILURES_PER_ACCOUNT = 5
REAL_NAME_FAILURES_PER_ID = 5
REAL_NAME_WINDOW_SECONDS = 3600
REAL_NAME_SCOPES = (
    ("registry.real_name.account", REAL_NAME_FAILURES_PER_ACCOUNT),
    ("registry.real_name.id", REAL_NAME_FAILURES_PER_ID),
)

# An authorisation lasts at most this long; its scope lists at most this many item codes.
AUTHORIZATION_MAX_DAYS = 3 * 366
AUTHORIZATION_MAX_ITEMS = 100
_ITEM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")

VERIFYING_KINDS = (UserKind.CITIZEN, UserKind.ENTERPRISE)


def _real_name_keys(actor: User, resident_id: str) -> tuple[str, str]:
    return str(actor.pk), resident_id


def citizen_verify_real_name(*, actor: User, resident_id: str, name: str) -> User:
    """Verify a citizen's (or an enterprise agent's) identity against the population registry
    (实名认证).

    The ID must be valid (GB 11643) and match a living person of that name; one account per
    person. A wrong name and an ID number another account is verified with answer alike (422
    ``no_match`` on ``resident_id``), so the answer confirms no identity pair. Failures are
    throttled per account and per ID number (``REAL_NAME_FAILURES_PER_*`` in
    ``REAL_NAME_WINDOW_SECONDS``; then 429 ``rate_limited``, checked before anything is looked
    up); each counted failure is recorded in the audit trail (so at most that many per account
    and window) and stays there (not atomic with the raise).
    """
    ensure_authenticated(actor)
    if actor.kind not in VERIFYING_KINDS:
        raise PermissionDenied(_("only citizen and enterprise accounts verify a resident identity"))
    resident_id = parse_resident_id_field("resident_id", resident_id)
    name = _required("name", name, 100)
    keys = _real_name_keys(actor, resident_id)
    for (scope, limit), key in zip(REAL_NAME_SCOPES, keys, strict=True):
        ratelimit.check(scope, key, limit=limit, window_seconds=REAL_NAME_WINDOW_SECONDS)
    person = Person.objects.filter(resident_id=resident_id, is_alive=True).first()
    if person is None or person.name != name or resident_id_verified_by_other(resident_id, user=actor):
        _real_name_failed(actor, resident_id, keys)
    with transaction.atomic():
        actor.resident_id = resident_id
        actor.display_name = person.name
        actor.is_real_name = True
        actor.real_name_verified_at = timezone.now()
        actor.save(update_fields=["resident_id", "display_name", "is_real_name", "real_name_verified_at"])
        audit.record(
            actor=actor, action="registry.real_name.verify", target=actor, after={"resident_id": resident_id}
        )
    return actor


def _real_name_failed(actor: User, resident_id: str, keys: tuple[str, str]) -> NoReturn:
    """Count the failure on both throttles, record it, and raise the one answer for all failures."""
    for (scope, limit), key in zip(REAL_NAME_SCOPES, keys, strict=True):
        # check() let this attempt in, so the count stays within the limit: hit() never raises here.
        ratelimit.hit(scope, key, limit=limit, window_seconds=REAL_NAME_WINDOW_SECONDS)
    audit.record(
        actor=actor, action="registry.real_name.failed", target=actor, after={"resident_id": resident_id}
    )
    raise ValidationError.for_field(
        "resident_id",
        _("no registry record matches this name and ID number"),
        code=RegistryError.NO_MATCH,
    )


@transaction.atomic
def enterprise_link(*, actor: User, uscc: str) -> LegalEntity:
    """Link an enterprise agent to the legal entity they act for, by USCC (GB 32100 check).

    The agent must be real-name verified and either be the entity's legal representative or hold
    a live authorisation (``entity_authorize``) for it; otherwise PermissionDenied, nothing written."""
    ensure_authenticated(actor)
    if not actor.kind == UserKind.ENTERPRISE:
        raise PermissionDenied(_("only enterprise accounts act for a legal entity"))
    if not actor.is_real_name:
        raise PermissionDenied(_("verify your real name before acting for a legal entity"))
    uscc = _identifier("uscc", validate_uscc, uscc)
    entity = LegalEntity.objects.filter(uscc=uscc).first()
    if entity is None:
        raise ValidationError.for_field(
            "uscc", _("no legal entity with this code in the registry"), code=RegistryError.NO_MATCH
        )
    if entity.status != LegalEntity.Status.ACTIVE:
        raise ValidationError.for_field(
            "uscc", _("the legal entity is not active"), code=RegistryError.INACTIVE
        )
    if not may_act_for(actor, entity):
        raise PermissionDenied(_("you hold no authorisation from this legal entity's legal representative"))
    actor.uscc = uscc
    actor.save(update_fields=["uscc"])
    audit.record(actor=actor, action="registry.enterprise.link", target=entity, after={"uscc": uscc})
    return entity


def _clean_scope(scope: list[str] | None) -> list[str]:
    codes = sorted({str(c).strip() for c in (scope or []) if str(c).strip()})
    if len(codes) > AUTHORIZATION_MAX_ITEMS:
        raise ValidationError.for_field("scope", _("at most %d service items") % AUTHORIZATION_MAX_ITEMS)
    bad = [c for c in codes if not _ITEM_CODE.match(c)]
    if bad:
        raise ValidationError.for_field("scope", _("not a service item code: %s") % bad[0][:40])
    return codes


@transaction.atomic
def entity_authorize(
    *,
    actor: User,
    entity: LegalEntity,
    grantee: User,
    scope: list[str] | None = None,
    valid_until: dt.datetime,
) -> EntityAuthorization:
    """Authorise ``grantee`` to act for ``entity`` (授权), for the service items in ``scope``
    (item codes; empty or None: all items) until ``valid_until``.

    Only the entity's verified legal representative grants (PermissionDenied otherwise, nothing
    written); the entity must be active, the grantee a real-name verified account other than the
    actor, and ``valid_until`` in the future, at most ``AUTHORIZATION_MAX_DAYS`` ahead."""
    ensure_authenticated(actor)
    if not is_legal_representative(actor, entity):
        raise PermissionDenied(_("only the entity's verified legal representative grants authorisations"))
    if entity.status != LegalEntity.Status.ACTIVE:
        raise ValidationError.for_field(
            "entity", _("the legal entity is not active"), code=RegistryError.INACTIVE
        )
    if grantee.pk == actor.pk:
        raise ValidationError.for_field("grantee", _("the legal representative needs no authorisation"))
    if not grantee.is_active or not grantee.is_real_name or grantee.kind not in VERIFYING_KINDS:
        raise ValidationError.for_field("grantee", _("authorise a real-name verified account only"))
    now = timezone.now()
    if valid_until <= now or valid_until > now + dt.timedelta(days=AUTHORIZATION_MAX_DAYS):
        raise ValidationError.for_field(
            "valid_until", _("the expiry must lie within %d days from now") % AUTHORIZATION_MAX_DAYS
        )
    codes = _clean_scope(scope)
    auth = EntityAuthorization.objects.create(
        entity=entity, grantee=grantee, granted_by=actor, scope=codes, valid_until=valid_until
    )
    audit.record(
        actor=actor,
        action="registry.entity_authorization.grant",
        target=entity,
        after={"grantee": grantee.pk, "scope": codes, "valid_until": valid_until.isoformat()},
    )
    return auth


@transaction.atomic
def entity_authorization_revoke(*, actor: User, authorization: EntityAuthorization) -> EntityAuthorization:
    """Revoke an authorisation: by the entity's verified legal representative, or the grantee
    giving it up. Revoking twice is a Conflict; the revoked row stays (the record of who could act)."""
    ensure_authenticated(actor)
    auth = EntityAuthorization.objects.select_for_update().select_related("entity").get(pk=authorization.pk)
    if auth.grantee_id != actor.pk and not is_legal_representative(actor, auth.entity):
        raise PermissionDenied(
            _("only the entity's legal representative or the grantee revokes an authorisation")
        )
    if auth.revoked_at is not None:
        raise Conflict(_("the authorisation is revoked already"), code=CoreError.CONFLICT)
    auth.revoked_at = timezone.now()
    auth.save(update_fields=["revoked_at"])
    audit.record(
        actor=actor,
        action="registry.entity_authorization.revoke",
        target=auth.entity,
        after={"grantee": auth.grantee_id, "authorization": auth.pk},
    )
    return auth
