"""The e-licence wallet (卡包): sealed e-licence files, 亮证 codes and consented use by third parties.

- Every e-licence has a file: a GB/T 9704 PDF sealed with the issuing department's key through the
  seals module (the same rendering and sealing path as the case notices), issued after the commit
  through the outbox (topic ``services.elicence``), once per licence.
- 亮证: the holder shows a short-lived code (``SERVICES_PRESENTATION_SECONDS``) in the codes
  module's wire format (CWT claims in a COSE_Sign1, Base45, prefix ``ZTL1:``), signed with the
  installation's statement key ``services.licence_presentation`` (published at /seals/keys.json).
  A third party verifies it on /services/licences/verify/; each verification goes into the log
  the holder sees.
- Consent: the holder lets a named party use one licence for one purpose until an expiry; the
  party reads it with the access key given once; each use is logged; expired or revoked consents
  give nothing and write nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.codes import cose
from zhengtong.core import keys as core_keys
from zhengtong.core import outbox
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.identifiers import validate_uscc
from zhengtong.core.masking import mask_resident_id
from zhengtong.registry import selectors as registry_selectors
from zhengtong.seals import selectors as seal_selectors
from zhengtong.seals import services as seals
from zhengtong.seals.pdf import DocumentSpec, render_pdf
from zhengtong.services.models import LicenceConsent, LicenceUse

FILE_TOPIC = "services.elicence"
FILE_KIND = "services.elicence"
PRESENT_PURPOSE = "services.licence_presentation"
PRESENT_PREFIX = "ZTL1:"

audit_actions.register(
    {
        "services.licence.present": gettext_lazy("Show an e-licence (亮证)"),
        "services.consent.grant": gettext_lazy("Consent to a third party's use of an e-licence"),
        "services.consent.revoke": gettext_lazy("Revoke consent to use an e-licence"),
    }
)


def file_reference(licence: Any) -> str:
    return f"licence:{licence.pk}"


RECORD_PURPOSE = "services.licence_record"


def record_statement(
    *, licence_type: str, number: str, holder: str, department_id: int, valid_from: Any, valid_to: Any
) -> bytes:
    """The canonical bytes of an e-licence record the issuing platform signs at issue (type,
    number, holder's ID number or USCC, issuing department, validity)."""
    return "|".join(
        ["ztlicence1", licence_type, number, holder, str(department_id), str(valid_from), str(valid_to or "")]
    ).encode()


def record_sign(**fields: Any) -> dict[str, str]:
    """Sign an e-licence record at issue, in the deciding transaction (ES256 with the installation's
    statement key ``services.licence_record``, published at /seals/keys.json): the licence is signed
    the moment it exists; its sealed PDF follows after the commit (``licence_file_enqueue``)."""
    signature = seals.sign_bytes(purpose=RECORD_PURPOSE, payload=record_statement(**fields), via="services")
    return {"kid": signature.kid, "alg": signature.alg, "sig": signature.value_b64url}


def record_verify(licence: Any) -> bool:
    """Whether the licence's record still carries a valid signature over its current fields."""
    signed = (licence.data or {}).get("signature") or {}
    if not isinstance(signed, dict) or not signed.get("kid") or not signed.get("sig"):
        return False
    holder = licence.holder_entity.uscc if licence.holder_entity_id else licence.holder_person.resident_id
    payload = record_statement(
        licence_type=licence.licence_type.code,
        number=licence.number,
        holder=holder,
        department_id=licence.issuing_department_id,
        valid_from=licence.valid_from,
        valid_to=licence.valid_to,
    )
    return seals.verify_bytes(kid=signed["kid"], payload=payload, signature_b64url=signed["sig"])


def licence_file_enqueue(licence: Any) -> None:
    """In the issuing transaction: have the licence's sealed PDF made after the commit."""
    outbox.enqueue(topic=FILE_TOPIC, key=file_reference(licence), payload={"licence": licence.pk})


def holder_name(licence: Any) -> str:
    return licence.holder_entity.name if licence.holder_entity_id else licence.holder_person.name


def render_licence(licence: Any) -> bytes:
    lt = licence.licence_type
    holder = holder_name(licence)
    holder_id = licence.holder_entity.uscc if licence.holder_entity_id else licence.holder_person.resident_id
    rows = [
        (pgettext("e-licence", "Licence"), lt.name),
        (_("Licence number"), licence.number),
        (_("Holder"), holder),
        (_("Holder's identifier"), holder_id),
        (_("Valid from"), licence.valid_from.isoformat()),
        (_("Valid to"), licence.valid_to.isoformat() if licence.valid_to else _("no expiry")),
    ]
    spec = DocumentSpec(
        title=lt.name,
        issuer=licence.issuing_department.name,
        doc_number=licence.number,
        recipients=holder,
        paragraphs=[
            _(
                "This electronic licence is issued to %(holder)s and has the same legal effect as the paper one."
            )
            % {"holder": holder},
            _("Verify it with its verification code at /seals/verify/ or offline with the published keys."),
        ],
        signer=licence.issuing_department.name,
        date=timezone.localtime(licence.issued_at).date() if licence.issued_at else timezone.localdate(),
        extra_rows=rows,
        seal_name=licence.issuing_department.name,
    )
    return render_pdf(spec)


@outbox.handler(FILE_TOPIC)
def licence_file_issue(payload: dict) -> None:
    """Outbox handler: render the e-licence file and seal it with the issuing department's key
    (once per licence: a re-delivered message issues nothing twice)."""
    licence = registry_selectors.licence_by_id(payload.get("licence"))
    if licence is None:
        raise outbox.PermanentFailure(f"no licence {payload.get('licence')}")
    ref = file_reference(licence)
    if seal_selectors.documents_for(FILE_KIND, ref).exists():
        return
    seals.seal_document(
        department=licence.issuing_department,
        kind=FILE_KIND,
        reference=ref,
        title=f"{licence.licence_type.name} {licence.number}",
        pdf=render_licence(licence),
        via="services",
    )


def licence_file(licence: Any):
    """The licence's sealed file (without its bytes), or None while it is being made."""
    return seal_selectors.documents_for(FILE_KIND, file_reference(licence)).first()


def _holder_licence(actor: Any, licence_id: Any):
    """One e-licence the actor holds (as a person, or for the entity they act for); NotFound for
    any other (the same answer whether it exists or not)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in to use your licence wallet"))
    try:
        pk = int(licence_id)
    except (TypeError, ValueError):
        raise NotFound(_("no e-licence %s in your wallet") % str(licence_id)[:20]) from None
    licence = registry_selectors.my_licences(actor).filter(pk=pk).first()
    if licence is None:
        raise NotFound(_("no e-licence %s in your wallet") % pk)
    return licence


def holder_licence(actor: Any, licence_id: Any):
    return _holder_licence(actor, licence_id)


@transaction.atomic
def licence_file_request(*, actor: Any, licence_id: Any) -> bool:
    """The holder asks for the sealed file of a licence issued before files existed (or by an
    import): enqueued once; False when it exists or is on its way."""
    licence = _holder_licence(actor, licence_id)
    if licence_file(licence) is not None:
        return False
    licence_file_enqueue(licence)  # idempotent: one message per licence
    return True


# --- 亮证 ------------------------------------------------------------------------------------


def _sign(message: bytes, kid_hex: str) -> bytes:
    signature = seals.sign_bytes(purpose=PRESENT_PURPOSE, payload=message, via="services")
    if signature.kid != kid_hex:  # the key rotated between asking and signing: the header is wrong
        raise Conflict(_("the signing key changed; try again"))
    return core_keys.b64url_decode(signature.value_b64url)


def presentation_code(*, actor: Any, licence_id: Any) -> tuple[str, dt.datetime]:
    """A short-lived signed code showing one valid e-licence of the actor (亮证): the QR text and
    when it stops verifying. Only the holder; only a valid licence."""
    licence = _holder_licence(actor, licence_id)
    if licence.state != "valid":
        raise ValidationError.for_field("licence", _("only a valid e-licence can be shown"))
    now = int(time.time())
    expires = now + settings.SERVICES_PRESENTATION_SECONDS
    kid_hex = seal_selectors.statement_key_id(PRESENT_PURPOSE)
    claims = cose.Claims(
        region=licence.issuing_department.org_unit.code if licence.issuing_department_id else "",
        subject=f"L{licence.pk}.{secrets.token_hex(4)}",
        purpose=f"licence:{licence.licence_type.code}",
        colour="green",
        issued_at=now,
        expires_at=expires,
    )
    text = cose.encode_code_with(
        claims, lambda m: _sign(m, kid_hex), bytes.fromhex(kid_hex), prefix=PRESENT_PREFIX
    )
    return text, dt.datetime.fromtimestamp(expires, tz=dt.UTC)


def _mask(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def presentation_verify(*, text: str, party: str = "", now: int | None = None) -> dict[str, Any]:
    """Check a shown code (anyone): its signature against the published statement key, its
    expiry, and the licence's state now. A valid code is logged for the holder (who verified it,
    when). The answer names the licence, its validity and the holder masked (a person's name
    as 张*; an entity's name is public)."""
    now = int(time.time()) if now is None else now
    if not isinstance(text, str) or len(text) > 2000:
        return {"valid": False, "reason": "bad_format"}
    text = text.strip()
    try:
        decoded = cose.decode_code(text, prefix=PRESENT_PREFIX)
    except cose.DecodeError as exc:
        return {"valid": False, "reason": exc.reason}
    if not seals.verify_bytes(
        kid=decoded.kid.hex(),
        payload=decoded.sig_structure(),
        signature_b64url=core_keys.b64url(decoded.signature),
    ):
        return {"valid": False, "reason": "bad_signature"}
    claims = decoded.claims
    if claims.expires_at < now:
        return {"valid": False, "reason": "expired"}
    licence_id = claims.subject[1:].split(".", 1)[0] if claims.subject.startswith("L") else ""
    licence = registry_selectors.licence_by_id(licence_id)
    if licence is None or f"licence:{licence.licence_type.code}" != claims.purpose:
        return {"valid": False, "reason": "unknown_licence"}
    today = timezone.localdate()
    if licence.state != "valid" or (licence.valid_to is not None and licence.valid_to < today):
        return {
            "valid": False,
            "reason": "licence_" + (licence.state if licence.state != "valid" else "expired"),
        }
    LicenceUse.objects.create(
        licence=licence, kind=LicenceUse.Kind.VERIFIED, party=str(party)[:200], detail=claims.subject[:200]
    )
    holder = holder_name(licence)
    return {
        "valid": True,
        "reason": "",
        "licence_type": licence.licence_type.name,
        "licence_type_en": licence.licence_type.name_en,
        # A person's licence number may be their resident ID number (the identity card's is):
        # masked like one whenever it is.
        "number": mask_resident_id(licence.number)
        if licence.holder_person_id and licence.number == licence.holder_person.resident_id
        else licence.number,
        "holder": holder if licence.holder_entity_id else _mask(holder),
        "issuer": licence.issuing_department.name,
        "valid_from": licence.valid_from.isoformat(),
        "valid_to": licence.valid_to.isoformat() if licence.valid_to else None,
        "code_expires_at": dt.datetime.fromtimestamp(claims.expires_at, tz=dt.UTC).isoformat(),
    }


# --- consented use by a third party -----------------------------------------------------------


def _digest(key: str) -> str:
    return hashlib.sha256(str(key).encode()).hexdigest()


@transaction.atomic
def consent_grant(
    *,
    actor: Any,
    licence_id: Any,
    party_name: str,
    purpose: str,
    expires_on: dt.date | None,
    party_code: str = "",
) -> tuple[LicenceConsent, str]:
    """The holder consents that ``party_name`` uses one valid e-licence for ``purpose`` until the
    end of ``expires_on`` (today at the earliest, ``SERVICES_CONSENT_MAX_DAYS`` ahead at the
    latest). Returns the consent and its access key, shown once (only its digest is stored)."""
    licence = _holder_licence(actor, licence_id)
    errors: dict[str, list[str]] = {}
    party_name = (party_name or "").strip()
    purpose = (purpose or "").strip()
    party_code = (party_code or "").strip().upper()
    if not party_name:
        errors["party_name"] = [_("name the party who will use the licence")]
    elif len(party_name) > 200:
        errors["party_name"] = [_("at most 200 characters")]
    if party_code:
        try:
            validate_uscc(party_code)
        except ValueError:
            errors["party_code"] = [_("is not a valid unified social credit code")]
    if not purpose:
        errors["purpose"] = [_("state the purpose of the use")]
    elif len(purpose) > 200:
        errors["purpose"] = [_("at most 200 characters")]
    today = timezone.localdate()
    latest = today + dt.timedelta(days=settings.SERVICES_CONSENT_MAX_DAYS)
    if expires_on is None:
        errors["expires_on"] = [_("set the date the consent ends")]
    elif not (today <= expires_on <= latest):
        errors["expires_on"] = [_("must be between today and %s") % latest.isoformat()]
    if licence.state != "valid":
        errors["licence"] = [_("only a valid e-licence can be shared")]
    if errors:
        raise ValidationError(fields=errors)
    key = secrets.token_urlsafe(24)
    end = timezone.make_aware(dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min))
    consent = LicenceConsent.objects.create(
        licence=licence,
        holder=actor,
        party_name=party_name,
        party_code=party_code,
        purpose=purpose,
        token=_digest(key),
        expires_at=end,
    )
    audit.record(
        actor=actor,
        action="services.consent.grant",
        target=consent,
        after={
            "licence": licence.number,
            "party": party_name,
            "purpose": purpose,
            "until": expires_on.isoformat(),
        },
    )
    return consent, key


@transaction.atomic
def consent_revoke(*, actor: Any, consent_id: Any) -> LicenceConsent:
    """The holder ends a live consent at once."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("sign in to use your licence wallet"))
    try:
        pk = int(consent_id)
    except (TypeError, ValueError):
        raise NotFound(_("no consent %s of yours") % str(consent_id)[:20]) from None
    consent = LicenceConsent.objects.select_for_update().filter(pk=pk, holder=actor).first()
    if consent is None:
        raise NotFound(_("no consent %s of yours") % pk)
    if consent.revoked_at is not None or consent.expires_at <= timezone.now():
        raise Conflict(_("this consent has already ended"))
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="services.consent.revoke", target=consent)
    return consent


def _live_consent(key: str) -> LicenceConsent:
    if not isinstance(key, str) or not 10 <= len(key) <= 100:
        raise NotFound(_("no consent for this key"))
    consent = (
        LicenceConsent.objects.select_related(
            "licence__licence_type",
            "licence__holder_person",
            "licence__holder_entity",
            "licence__issuing_department",
        )
        .filter(token=_digest(key))
        .first()
    )
    if consent is None:
        raise NotFound(_("no consent for this key"))
    if consent.revoked_at is not None:
        raise PermissionDenied(_("the holder revoked this consent"))
    if consent.expires_at <= timezone.now():
        raise PermissionDenied(
            _("this consent expired on %s") % timezone.localtime(consent.expires_at).date()
        )
    if consent.licence.state != "valid":
        raise PermissionDenied(_("the e-licence is no longer valid"))
    return consent


@transaction.atomic
def consent_use(*, key: str, detail: str = "") -> dict[str, Any]:
    """A third party uses a licence under a live consent: its data (and its sealed file's code),
    logged for the holder. An unknown, expired or revoked consent gives nothing and writes nothing."""
    consent = _live_consent(key)
    licence = consent.licence
    LicenceUse.objects.create(
        licence=licence,
        consent=consent,
        kind=LicenceUse.Kind.USED,
        party=consent.party_name,
        detail=detail[:200],
    )
    document = licence_file(licence)
    return {
        "consent": consent,
        "licence": licence,
        "holder": holder_name(licence),
        "file_code": document.code if document is not None else "",
    }


def consent_file(*, key: str) -> tuple[Any, bytes]:
    """The sealed file of the licence under a live consent (logged by ``consent_use``)."""
    result = consent_use(key=key, detail="file")
    document = licence_file(result["licence"])
    if document is None:
        raise NotFound(_("the licence's file is being made; try again in a minute"))
    return document, seal_selectors.document_pdf(document)
