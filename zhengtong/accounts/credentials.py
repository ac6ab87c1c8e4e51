"""The one write and authentication path of API credentials (accounts.Credential).

Every kind — personal API tokens (``zt_``), data API keys (``ztd_``), Open311 keys (``o311_``) —
is created, rotated, revoked and authenticated here. A kind's owning module (accounts, catalog,
grid) keeps its own rules (who may issue, which limits, which scopes) and its own audit action
names, and calls these functions for the mechanism.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from zhengtong.accounts.models import SECRET_PREFIX, Credential, CredentialKind, OrgUnit, User
from zhengtong.audit import services as audit
from zhengtong.core.prepared import Prepared

# last_used_at is a hint for owners ("used today"), not a log: write it at most this often.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def credential_digest(secret: str) -> str:
    # Secrets are at least 192-bit random values, so a plain SHA-256 digest cannot be brute-forced
    # (and the digests stored before the merge stay valid).
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(kind: str, nbytes: int) -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{SECRET_PREFIX[kind]}{prefix}_{secrets.token_urlsafe(nbytes)}"


# Random bytes after the prefix, per kind, as each kind issued them before the merge.
_SECRET_BYTES = {
    CredentialKind.API_TOKEN: 32,
    CredentialKind.DATA_API_KEY: 24,
    CredentialKind.OPEN311_KEY: 24,
    CredentialKind.SHARING_KEY: 24,
    CredentialKind.CLIENT_SECRET: 32,
    CredentialKind.FEED_KEY: 24,
}


@transaction.atomic
def credential_create(
    *,
    actor: Any,
    kind: str,
    name: str,
    owner: User | None = None,
    org_unit: OrgUnit | None = None,
    scopes: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
    expires_at: datetime | None = None,
    audit_action: str,
    audit_target: Any = None,
    audit_after: dict | None = None,
    known_secret: str | None = None,
) -> tuple[Credential, str]:
    """Store a new credential of ``kind`` and return it with its secret, which is shown once and
    never stored (only its digest). The caller has checked permission and validated the fields;
    the audit event ``audit_action`` is written in the same transaction, targeting
    ``audit_target`` (default: the credential) with ``audit_after`` (default: kind, name, prefix).

    ``known_secret``: use this secret instead of a random one. Only for demo data that documents
    a key people can try; it must be a well-formed secret of ``kind`` (ValueError otherwise),
    except for client secrets, which are checked against their client's own credential (never
    found by prefix), so the documented OIDC demo secrets (``demo-rp-secret``) can be stored."""
    if known_secret is None:
        prefix, secret = _new_secret(kind, _SECRET_BYTES[kind])
    else:
        prefix, secret = credential_parse(known_secret, kind=kind), known_secret
        if prefix is None and kind == CredentialKind.CLIENT_SECRET:
            prefix = hashlib.sha256(known_secret.encode()).hexdigest()[:8]
        if prefix is None:
            raise ValueError(f"not a well-formed {kind} secret")
    row = Credential.objects.create(
        kind=kind,
        owner=owner,
        name=name,
        org_unit=org_unit,
        prefix=prefix,
        digest=credential_digest(secret),
        scopes=sorted(set(scopes or [])),
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=expires_at,
    )
    audit.record(
        actor=actor,
        action=audit_action,
        target=audit_target if audit_target is not None else row,
        org_unit=org_unit,
        after=audit_after if audit_after is not None else {"kind": kind, "name": name, "prefix": prefix},
    )
    return row, secret


@transaction.atomic
def credential_rotate(*, actor: Any, credential: Credential, audit_action: str) -> tuple[Credential, str]:
    """Replace a live credential by a new one with the same kind, owner, name, scope and limits
    (and the same lifetime from now on); the old one is revoked in the same transaction. Returns
    the new credential and its secret (shown once). The caller has checked permission."""
    if credential.revoked_at is not None:
        raise ValueError("a revoked credential cannot be rotated")
    lifetime = None
    if credential.expires_at is not None:
        lifetime = credential.expires_at - credential.created_at
    _revoke(credential)
    new, secret = credential_create(
        actor=actor,
        kind=credential.kind,
        name=credential.name,
        owner=credential.owner,
        org_unit=credential.org_unit,
        scopes=credential.scopes,
        rate_limit_per_minute=credential.rate_limit_per_minute,
        expires_at=timezone.now() + lifetime if lifetime is not None else None,
        audit_action=audit_action,
        audit_after={"kind": credential.kind, "name": credential.name, "replaces": credential.prefix},
    )
    return new, secret


def _revoke(credential: Credential) -> bool:
    if credential.revoked_at is not None:
        return False
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["revoked_at"])
    return True


@transaction.atomic
def credential_revoke(
    *, actor: Any, credential: Credential, audit_action: str, audit_target: Any = None
) -> Credential:
    """Revoke ``credential`` (idempotent: a second call changes and records nothing). The caller
    has checked permission; the audit event targets ``audit_target`` (default: the credential)."""
    if _revoke(credential):
        audit.record(
            actor=actor,
            action=audit_action,
            target=audit_target if audit_target is not None else credential,
            org_unit=credential.org_unit,
            before={"kind": credential.kind, "prefix": credential.prefix},
        )
    return credential


def credential_parse(raw: str, *, kind: str) -> str | None:
    """The prefix of a secret of ``kind`` (``zt_<prefix>_…``), or None when it is not one."""
    text = SECRET_PREFIX[kind]
    if not raw or len(raw) > 200 or not raw.startswith(text):
        return None
    prefix, sep, rest = raw[len(text) :].partition("_")
    if not prefix or not sep or not rest:
        return None
    return prefix


def credential_authenticate(raw: str, *, kind: str, now: datetime | None = None) -> Credential | None:
    """The live credential of ``kind`` whose secret is ``raw``, or None: unknown, malformed,
    revoked or expired secrets, and secrets whose owner's account is disabled, all give None
    (use ``credential_lookup`` to tell them apart). Touches ``last_used_at`` at most every
    five minutes."""
    row = credential_lookup(raw, kind=kind)
    if row is None or credential_refusal(row, now=now) is not None:
        return None
    credential_touch(row, now=now)
    return row


# Every bearer call looks its token up: the query is compiled once per connection (core.prepared;
# compiling the three-table join was most of the look-up's CPU). ``first()``: ordered by id.
_LOOKUP = Prepared(
    lambda kind, prefix: (
        Credential.objects.select_related("owner", "org_unit")
        .filter(kind=kind, prefix=prefix)
        .order_by("pk")[:1]
    ),
    2,
)


def credential_lookup(raw: str, *, kind: str) -> Credential | None:
    """The credential of ``kind`` whose secret is ``raw`` (live or not), or None."""
    prefix = credential_parse(raw, kind=kind)
    if prefix is None:
        return None
    found = _LOOKUP.objects(kind, prefix)
    row = found[0] if found else None
    if row is None or not secrets.compare_digest(row.digest, credential_digest(raw)):
        return None
    return row


def credential_refusal(row: Credential, *, now: datetime | None = None) -> str | None:
    """Why a known credential may not be used ("revoked", "expired", "disabled"), or None."""
    now = now or timezone.now()
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    if row.owner_id is not None and not row.owner.is_active:
        return "disabled"
    return None


def credential_touch(row: Credential, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        # Written by hand (the value prepared as ``QuerySet.update`` prepares it): compiling the
        # update was most of its CPU, on the first call of every token in five minutes.
        connection = connections[router.db_for_write(Credential)]
        meta, quote = Credential._meta, connection.ops.quote_name
        field = meta.get_field("last_used_at")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {quote(field.column)} = %s WHERE {quote(meta.pk.column)} = %s",  # noqa: S608 (names from the model)
                [field.get_db_prep_save(now, connection), row.pk],
            )
        row.last_used_at = now
