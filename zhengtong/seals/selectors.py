"""Reads of sealed documents and of the published keys."""

from __future__ import annotations

from zhengtong.core import cache
from zhengtong.core import keys as core_keys
from zhengtong.seals import keys
from zhengtong.seals.models import SealedDocument, SealKey

JWKS_SECONDS = 300


def document_by_code(code: str) -> SealedDocument | None:
    if not isinstance(code, str) or not code.isalnum() or len(code) > 16:
        return None
    return SealedDocument.objects.select_related("department").filter(code=code.upper()).first()


def documents_for(kind: str, reference: str):
    """The sealed documents a module made for one of its objects, newest first."""
    return SealedDocument.objects.filter(kind=kind, reference=str(reference)).defer("pdf")


def documents_by_reference_prefix(prefix: str):
    """The sealed documents whose reference starts with ``prefix`` (a module's documents about one
    object, e.g. ``case:<number>:``), oldest first, without their bytes."""
    return (
        SealedDocument.objects.filter(reference__startswith=str(prefix))
        .defer("pdf")
        .order_by("sealed_at", "id")
    )


def document_pdf(document: SealedDocument) -> bytes:
    """The exact sealed bytes (callers check who may read them first)."""
    return bytes(SealedDocument.objects.values_list("pdf", flat=True).get(pk=document.pk))


def _jwks() -> dict:
    rows = SealKey.objects.select_related("department").order_by("purpose", "department_id", "-created_at")
    published = []
    for key in rows:
        jwk = core_keys.public_key_jwk(keys.public_key(key), key.kid)
        jwk["zt_purpose"] = key.purpose
        jwk["zt_status"] = key.status
        if key.department is not None:
            jwk["zt_department"] = key.department.name
            jwk["zt_department_code"] = key.department.code
        jwk["zt_created_at"] = key.created_at.isoformat()
        published.append(jwk)
    return {"keys": published}


def jwks() -> dict:
    """Every seal and statement key (active and retired) as a JWK Set, with its purpose and owner."""
    return cache.cached(keys.CACHE_NAMESPACE, "jwks", _jwks, JWKS_SECONDS)


def key_by_kid(kid: str) -> SealKey | None:
    return SealKey.objects.select_related("department").filter(kid=str(kid)[:16]).first()


def statement_key_id(purpose: str) -> str:
    """The key id the installation's statement key for ``purpose`` signs with now (created on
    first use): a signer that names its key inside what it signs (a COSE header) asks first."""
    return keys.active_key(keys.check_purpose(purpose), None).kid
