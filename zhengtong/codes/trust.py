"""Signed trust lists (互认): publish ours, import other regions' against configured anchors.

A signed trust list is JSON: ``{"trustlist": <document>, "anchor_kid": <hex>, "signature":
<base64 of raw ES256 r||s over the canonical JSON of the document>}``. The document lists the
region's code-signing keys (active, retired and revoked) with their DER public keys and JWKs.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
    load_pem_public_key,
)
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.audit import services as audit
from zhengtong.codes import cose, keys
from zhengtong.codes.errors import CodesError
from zhengtong.codes.models import SigningKey, TrustAnchor, TrustedKey, TrustList
from zhengtong.core.errors import ValidationError

FORMAT = "zhengtong-trustlist/1"


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_entry(kid: str, region: str, der: bytes, status: str) -> dict:
    public = load_der_public_key(der)
    return {
        "kid": kid,
        "region": region,
        "alg": "ES256",
        "status": status,
        "public_key_der": base64.b64encode(der).decode(),
        "jwk": cose.public_key_jwk(public, bytes.fromhex(kid)),
    }


def sign_document(document: dict, anchor_private, anchor_kid: str) -> dict:
    signature = cose.sign_es256(anchor_private, canonical(document))
    return {
        "trustlist": document,
        "anchor_kid": anchor_kid,
        "signature": base64.b64encode(signature).decode(),
    }


def own_document(*, sequence: int | None = None, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    horizon = now - dt.timedelta(hours=settings.CODES_EXPIRY_HOURS)
    rows = SigningKey.objects.filter(role=SigningKey.Role.CODE).exclude(
        status=SigningKey.Status.RETIRED, retired_at__lt=horizon
    )
    entries = [key_entry(k.kid, k.region_code, bytes(k.public_der), k.status) for k in rows.order_by("kid")]
    digest = hashlib.sha256(canonical({"keys": entries})).hexdigest()
    return {
        "format": FORMAT,
        "region": settings.CODES_REGION_CODE,
        "region_name": settings.CODES_REGION_NAME,
        "sequence": sequence if sequence is not None else int(now.timestamp()),
        "issued_at": now.replace(microsecond=0).isoformat(),
        "next_update": (now + dt.timedelta(days=settings.CODES_TRUSTLIST_VALID_DAYS))
        .replace(microsecond=0)
        .isoformat(),
        "keys_digest": digest,
        "keys": entries,
    }


def export_signed(*, now: dt.datetime | None = None) -> dict:
    """Our current trust list, signed by our anchor key."""
    anchor = keys.active_key(SigningKey.Role.ANCHOR)
    if anchor is None:
        raise ValidationError(
            _("no trust-list anchor key: run codes_keys init first"), code=CodesError.NO_ANCHOR
        )
    return sign_document(own_document(now=now), keys.private_key(anchor), anchor.kid)


def anchor_export() -> dict:
    """What another region configures to trust our lists: our anchor's public key."""
    anchor = keys.active_key(SigningKey.Role.ANCHOR)
    if anchor is None:
        raise ValidationError(_("no trust-list anchor key"), code=CodesError.NO_ANCHOR)
    der = bytes(anchor.public_der)
    pem = load_der_public_key(der).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return {
        "region": settings.CODES_REGION_CODE,
        "name": settings.CODES_REGION_NAME,
        "anchor_kid": anchor.kid,
        "public_key_pem": pem.decode(),
    }


def anchor_add(*, actor, region_code: str, name: str, public_key_pem: str) -> TrustAnchor:
    """Trust another region's anchor key (an out-of-band, audited decision)."""
    if not region_code.isdigit() or len(region_code) != 6:
        raise ValidationError.for_field("region_code", _("a 6-digit region code is required"))
    try:
        public = load_pem_public_key(public_key_pem.encode())
    except (ValueError, TypeError):
        raise ValidationError.for_field("public_key_pem", _("not a PEM public key")) from None
    der = cose.public_key_der(public)
    kid = cose.kid_for(public).hex()
    with transaction.atomic():
        anchor, created = TrustAnchor.objects.update_or_create(
            anchor_kid=kid,
            defaults={"region_code": region_code, "name": name[:100], "public_der": der, "is_active": True},
        )
        audit.record(
            actor=actor, action="codes.anchor_add", target=anchor, after={"region": region_code, "kid": kid}
        )
    return anchor


def _check(signed: dict) -> tuple[dict, TrustAnchor]:
    if not isinstance(signed, dict) or not isinstance(signed.get("trustlist"), dict):
        raise ValidationError.for_field("trustlist", _("not a signed trust list"))
    document = signed["trustlist"]
    if document.get("format") != FORMAT:
        raise ValidationError.for_field("format", _("unknown trust-list format"))
    anchor = TrustAnchor.objects.filter(anchor_kid=str(signed.get("anchor_kid", "")), is_active=True).first()
    if anchor is None:
        raise ValidationError.for_field(
            "anchor_kid", _("the list is not signed by a configured trust anchor")
        )
    if anchor.region_code != document.get("region"):
        raise ValidationError.for_field("region", _("the anchor does not belong to the list's region"))
    if document.get("region") == settings.CODES_REGION_CODE:
        raise ValidationError.for_field("region", _("this is our own region's list"))
    try:
        signature = base64.b64decode(str(signed.get("signature", "")), validate=True)
    except ValueError:
        signature = b""
    if not cose.verify_es256(keys.public_key(anchor), canonical(document), signature):
        raise ValidationError.for_field("signature", _("the trust list's signature does not verify"))
    return document, anchor


def import_signed(*, actor, signed: dict) -> TrustList:
    """Verify a region's signed trust list against our anchors and make its keys trusted."""
    document, anchor = _check(signed)
    region = document["region"]
    try:
        sequence = int(document["sequence"])
        issued_at = dt.datetime.fromisoformat(document["issued_at"])
        entries = [
            (
                str(k["kid"]),
                str(k["region"]),
                base64.b64decode(k["public_key_der"]),
                str(k.get("status", "active")),
            )
            for k in document["keys"]
        ]
        for kid, key_region, der, _status in entries:
            if key_region != region or cose.kid_for(load_der_public_key(der)).hex() != kid:
                raise ValueError(kid)
    except (KeyError, TypeError, ValueError):
        raise ValidationError.for_field("keys", _("malformed key entry in the trust list")) from None
    with transaction.atomic():
        current = TrustList.objects.select_for_update().filter(region_code=region).first()
        if current is not None and current.sequence > sequence:
            raise ValidationError.for_field("sequence", _("older than the list already imported"))
        if current is None:
            current = TrustList(region_code=region)
        current.region_name = str(document.get("region_name", ""))[:100]
        current.anchor = anchor
        current.sequence = sequence
        current.issued_at = issued_at
        current.imported_at = timezone.now()
        current.document = signed
        current.save()
        current.keys.all().delete()
        TrustedKey.objects.bulk_create(
            TrustedKey(trust_list=current, kid=kid, region_code=r, public_der=der, status=s)
            for kid, r, der, s in entries
        )
        audit.record(
            actor=actor,
            action="codes.trustlist_import",
            target=current,
            after={"region": region, "sequence": sequence, "keys": len(entries)},
        )
    return current


def imported_signed() -> list[dict]:
    """The imported lists of active anchors, as received (signature included)."""
    return [t.document for t in TrustList.objects.filter(anchor__is_active=True).order_by("region_code")]
