"""Sealing documents with a department's key, signing statements with the installation's keys, and
verifying both. The one mechanism for signatures with legal or evidential weight.

A sealed document is the exact PDF bytes, their SHA-256 and an ES256 signature (raw ``r || s``,
base64url) over the PDF bytes themselves (ES256 hashes them with SHA-256), so anyone can check it
with the published key (``/seals/keys.json``) and any ECDSA library::

    public_key.verify(der_signature(raw), pdf_bytes, ECDSA(SHA256()))

Callers are other modules acting on their own authority (they check who may obtain and see the
document); ``via`` names the module and is required.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.core import cache
from zhengtong.core import keys as core_keys
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.seals import keys
from zhengtong.seals.errors import SealsError
from zhengtong.seals.models import SEAL, SealedDocument, SealKey

audit_actions.register(
    {
        "seals.document.seal": gettext_lazy("Seal document"),
        "seals.document.revoke": gettext_lazy("Revoke sealed document"),
        "seals.key.rotate": gettext_lazy("Rotate seal key"),
    }
)

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed from paper
CODE_LENGTH = 12
MAX_PDF_BYTES = 20 * 1024 * 1024
STATEMENT_KEY_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Signature:
    kid: str
    alg: str
    value_b64url: str

    def as_dict(self) -> dict:
        return {"kid": self.kid, "alg": self.alg, "signature": self.value_b64url}


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of checking a document: ``status`` is valid / revoked / altered / unknown."""

    status: str
    document: SealedDocument | None = None
    key: SealKey | None = None

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _require_via(via: str) -> str:
    if not via or not isinstance(via, str):
        raise ValueError("sealing is a trusted internal call: name the module in via=")
    return via[:40]


def seal_document(
    *, department, kind: str, reference: str, title: str, pdf: bytes, actor=None, via: str
) -> SealedDocument:
    """Sign the PDF with the department's seal key, store it, audit it and return the record."""
    via = _require_via(via)
    if not isinstance(pdf, bytes | bytearray) or not bytes(pdf[:5]) == b"%PDF-":
        raise ValidationError.for_field("pdf", _("the file is not a PDF document"), code=SealsError.NOT_A_PDF)
    if len(pdf) > MAX_PDF_BYTES:
        raise ValidationError.for_field(
            "pdf", _("the document is larger than %(n)s MB") % {"n": MAX_PDF_BYTES // 2**20}
        )
    pdf = bytes(pdf)
    with transaction.atomic():
        key = _active_key(SEAL, department.pk)
        signature = core_keys.sign_es256(keys.private_key(key), pdf)
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    document = SealedDocument.objects.create(
                        code=new_code(),
                        department=department,
                        kind=kind[:40],
                        reference=str(reference)[:100],
                        title=title[:200],
                        sha256=hashlib.sha256(pdf).hexdigest(),
                        kid=key.kid,
                        signature=core_keys.b64url(signature),
                        pdf=pdf,
                        size=len(pdf),
                        sealed_at=timezone.now(),
                        sealed_by=actor if getattr(actor, "pk", None) else None,
                        via=via,
                    )
                break
            except IntegrityError:  # a code collision (1 in 10^17): draw again
                continue
        else:  # pragma: no cover - only with a broken random source
            raise Conflict(_("could not allocate a verification code"))
        audit.record(
            actor=actor,
            action="seals.document.seal",
            target=document,
            org_unit=department.org_unit,
            after={
                "kind": document.kind,
                "reference": document.reference,
                "sha256": document.sha256,
                "kid": key.kid,
            },
            via=via,
        )
    return document


def document_revoke(*, document: SealedDocument, reason: str, actor=None, via: str) -> SealedDocument:
    """Mark a sealed document revoked (a decision withdrawn, a licence revoked): it stops verifying."""
    via = _require_via(via)
    if not reason or not reason.strip():
        raise ValidationError.for_field("reason", _("a reason is required"))
    with transaction.atomic():
        locked = SealedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.revoked_at is not None:
            raise Conflict(_("the sealed document is already revoked"), code=SealsError.DOCUMENT_REVOKED)
        locked.revoked_at = timezone.now()
        locked.revoke_reason = reason.strip()[:200]
        locked.save(update_fields=["revoked_at", "revoke_reason"])
        audit.record(
            actor=actor, action="seals.document.revoke", target=locked, note=locked.revoke_reason, via=via
        )
    return locked


def key_rotate(*, department=None, purpose: str = SEAL, actor=None, via: str) -> SealKey:
    """Retire the active key for a department seal (or a statement purpose) and start a new one."""
    via = _require_via(via)
    if purpose != SEAL:
        keys.check_purpose(purpose)
    with transaction.atomic():
        old, new = keys.rotate(purpose, department.pk if department is not None else None)
        audit.record(
            actor=actor,
            action="seals.key.rotate",
            target=new,
            before={"kid": old.kid} if old else None,
            after={"kid": new.kid, "purpose": purpose},
            via=via,
        )
    return new


def _active_key(purpose: str, department_id: int | None) -> SealKey:
    """The active key for a statement purpose (``department_id`` None) or a department's seal: the
    row kept in-process through core.cache (its namespace version shared, so a key created or
    rotated anywhere drops it everywhere within CACHE_LOCAL_REVALIDATE_SECONDS; a retired key keeps
    verifying what it signed meanwhile), created on first use uncached."""
    key = cache.cached(
        keys.CACHE_NAMESPACE,
        f"active:{purpose}:{department_id or ''}",
        lambda: SealKey.objects.filter(
            purpose=purpose, department_id=department_id, status=SealKey.Status.ACTIVE
        ).first(),
        STATEMENT_KEY_SECONDS,
        local=True,
        shared=False,  # key material stays in the process, never in the shared cache
    )
    return key if key is not None else keys.active_key(purpose, department_id)


def sign_bytes(*, purpose: str, payload: bytes, via: str) -> Signature:
    """Sign a statement (an exchange receipt, a credit report's data) with the installation's key for
    ``purpose``. Not audited here: the caller logs the statement it signs (often thousands a second)."""
    _require_via(via)
    key = _active_key(keys.check_purpose(purpose), None)
    return Signature(key.kid, "ES256", core_keys.b64url(core_keys.sign_es256(keys.private_key(key), payload)))


def verify_bytes(*, kid: str, payload: bytes, signature_b64url: str) -> bool:
    """Whether the signature over ``payload`` was made by this installation's key ``kid``."""
    key = SealKey.objects.filter(kid=str(kid)[:16]).first()
    if key is None:
        return False
    try:
        raw = core_keys.b64url_decode(signature_b64url)
    except ValueError:
        return False
    return core_keys.verify_es256(keys.public_key(key), payload, raw)


def verify_document(document: SealedDocument, pdf: bytes | None = None) -> Verification:
    """Check a stored document (or the given bytes claimed to be it) against its seal."""
    key = SealKey.objects.filter(kid=document.kid).first()
    data = bytes(document.pdf) if pdf is None else pdf
    try:
        raw = core_keys.b64url_decode(document.signature)
    except ValueError:
        return Verification("altered", document, key)
    if key is None or not core_keys.verify_es256(keys.public_key(key), data, raw):
        return Verification("altered", document, key)
    if document.revoked_at is not None:
        return Verification("revoked", document, key)
    return Verification("valid", document, key)


def verify_pdf(pdf: bytes) -> Verification:
    """Check an uploaded PDF: found by its SHA-256 among sealed documents, then verified."""
    if not pdf.startswith(b"%PDF-"):
        raise ValidationError.for_field(
            "file", _("the file is not a PDF document"), code=SealsError.NOT_A_PDF
        )
    document = SealedDocument.objects.filter(sha256=hashlib.sha256(pdf).hexdigest()).first()
    if document is None:
        return Verification("unknown")
    return verify_document(document, pdf)
