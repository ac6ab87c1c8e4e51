"""Public API of the seals module: the published keys and a sealed document's status by code."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from ninja import Router, Schema

from zhengtong.core import ratelimit
from zhengtong.core.errors import NotFound
from zhengtong.core.middleware import client_ip
from zhengtong.core.schemas import ERRORS
from zhengtong.seals import selectors, services

router = Router(tags=["seals"])

PUBLIC_OPERATIONS: set[str] = {"seals_keys", "seals_document"}


class JwkOut(Schema):
    kty: str
    crv: str
    x: str
    y: str
    alg: str
    use: str
    kid: str
    zt_purpose: str
    zt_status: str
    zt_department: str | None = None
    zt_department_code: str | None = None
    zt_created_at: str


class JwksOut(Schema):
    keys: list[JwkOut]


class DocumentStatusOut(Schema):
    code: str
    status: str
    title: str
    department: str
    sealed_at: dt.datetime
    sha256: str
    kid: str
    signature: str
    revoked_at: dt.datetime | None


@router.get("/keys", response={200: JwksOut, **ERRORS}, auth=None, operation_id="seals_keys")
def keys(request):
    """Every seal and statement key of this installation (JWK Set, ES256), active and retired."""
    return selectors.jwks()


@router.get(
    "/documents/{code}", response={200: DocumentStatusOut, **ERRORS}, auth=None, operation_id="seals_document"
)
def document(request, code: str):
    """A sealed document's status, hash and signature (never its content)."""
    ratelimit.hit(
        "seals.verify", client_ip(request) or "-", limit=settings.SEALS_VERIFY_PER_MINUTE, window_seconds=60
    )
    found = selectors.document_by_code(code)
    if found is None:
        raise NotFound("no sealed document with this code")
    result = services.verify_document(found)
    return {
        "code": found.code,
        "status": result.status,
        "title": found.title,
        "department": found.department.name,
        "sealed_at": found.sealed_at,
        "sha256": found.sha256,
        "kid": found.kid,
        "signature": found.signature,
        "revoked_at": found.revoked_at,
    }
