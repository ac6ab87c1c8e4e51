"""Inspections: recorded by an assigned inspector on a phone, photos kept twice (the original
privately, a metadata-free copy for public views, by grid's photo mechanism), findings opening a
rectification work order or a penalty case; results published (公示) within the time limit."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.credit import services as credit
from zhengtong.grid import services as grid
from zhengtong.supervision.errors import SupervisionError
from zhengtong.supervision.models import Inspection, InspectionPhoto, Officer, Result
from zhengtong.supervision.services.penalties import penalty_file
from zhengtong.supervision.workflows import INSPECTION_FLOW
from zhengtong.workorders import services as workorders

VIA = "supervision"
MAX_PHOTOS = 9


def photo_root() -> Path:
    return Path(settings.VAR_DIR) / "supervision" / "photos"


def assigned_officer(actor: Any, inspection: Inspection) -> Officer:
    """The actor's officer record among the inspection's inspectors, or NOT_ASSIGNED."""
    ensure_authenticated(actor)
    officer = inspection.inspectors.filter(user_id=actor.pk, active=True).first()
    if officer is None:
        raise PermissionDenied(
            _("you are not an inspector assigned to this inspection"), code=SupervisionError.NOT_ASSIGNED
        )
    return officer


SIGNATURE_MIN_SIZE = (100, 50)
SIGNATURE_MAX_SIZE = (2000, 1000)
SIGNATURE_MIN_INK = 30  # dark pixels: fewer is an empty pad, not a signature
SIGNERS = ("entity", "inspector")


def signature_root() -> Path:
    return Path(settings.VAR_DIR) / "supervision" / "signatures"


def signature_from_data_url(text: str, field: str) -> bytes:
    """The PNG bytes of a signature sent as a data URL (``data:image/png;base64,…``, what a
    canvas gives) or as plain base64; empty for an empty text."""
    text = (text or "").strip()
    if not text:
        return b""
    if text.startswith("data:"):
        head, _comma, text = text.partition(",")
        if head != "data:image/png;base64":
            raise ValidationError.for_field(field, _("must be a PNG image as a data URL"))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError.for_field(field, _("is not valid base64")) from None


def _clean_signature(data: bytes, field: str) -> bytes:
    """A hand-drawn signature: a real PNG within the size limits with some ink on it,
    re-encoded without metadata (grid's photo mechanism)."""
    if not data:
        raise ValidationError.for_field(field, _("draw the signature"))
    if len(data) > settings.SUPERVISION_SIGNATURE_MAX_BYTES:
        raise ValidationError.for_field(
            field, _("at most %d KB") % (settings.SUPERVISION_SIGNATURE_MAX_BYTES // 1024)
        )
    img, fmt = grid.check_image(data, field)
    if fmt != "PNG":
        raise ValidationError.for_field(field, _("must be a PNG image"))
    (w, h), (min_w, min_h), (max_w, max_h) = img.size, SIGNATURE_MIN_SIZE, SIGNATURE_MAX_SIZE
    if not (min_w <= w <= max_w and min_h <= h <= max_h):
        raise ValidationError.for_field(
            field,
            _("must be between %(a)s and %(b)s pixels") % {"a": f"{min_w}×{min_h}", "b": f"{max_w}×{max_h}"},
        )
    paper = Image.new("RGBA", img.size, "white")
    paper.alpha_composite(img.convert("RGBA"))
    ink = paper.convert("L").point(lambda v: 255 if v < 128 else 0).histogram()[255]
    if ink < SIGNATURE_MIN_INK:
        raise ValidationError.for_field(field, _("the signature pad is empty"))
    return grid.strip_image(img, fmt)


def _store_signature(inspection: Inspection, signer: str, png: bytes) -> tuple[str, str]:
    rel = Path(str(inspection.pk)) / f"{signer}-{uuid.uuid4().hex}.png"
    target = signature_root() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    return str(rel), hashlib.sha256(png).hexdigest()


def signature_image(inspection: Inspection, signer: str) -> bytes:
    """The stored signature of ``signer`` (entity or inspector), checked against the SHA-256 on
    the record: a file changed after signing is refused (409 supervision_signature_mismatch)."""
    if signer not in SIGNERS or not getattr(inspection, f"{signer}_signature"):
        raise NotFound(_("no such signature"))
    data = (signature_root() / getattr(inspection, f"{signer}_signature")).read_bytes()
    if hashlib.sha256(data).hexdigest() != getattr(inspection, f"{signer}_signature_sha256"):
        raise Conflict(
            _("the signature file does not match the hash on the record"),
            code=SupervisionError.SIGNATURE_MISMATCH,
        )
    return data


def _clean_checklist(inspection: Inspection, results: Any) -> list[dict]:
    checks = [c for item in inspection.plan.items.all() for c in item.checklist]
    if not isinstance(results, list) or len(results) != len(checks):
        raise ValidationError.for_field("checklist", _("answer each of the %d checks") % len(checks))
    out = []
    for n, (check, answer) in enumerate(zip(checks, results, strict=True)):
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise ValidationError.for_field(f"checklist.{n}", _("say whether the check is met"))
        note = answer.get("note") or ""
        if not isinstance(note, str) or len(note) > 500:
            raise ValidationError.for_field(f"checklist.{n}", _("a note of at most 500 characters"))
        out.append({"check": check, "ok": answer["ok"], "note": note.strip()})
    return out


@transaction.atomic
def inspection_record(
    *,
    actor: Any,
    inspection: Inspection,
    checklist: list[dict],
    findings: str,
    result: str,
    entity_signer: str,
    entity_signature: bytes = b"",
    inspector_signature: bytes = b"",
    expected_version: int | None = None,
) -> Inspection:
    """An assigned inspector records the inspection with both signatures, each a name and a
    hand-drawn PNG (``inspector_signature`` always; ``entity_signer`` and ``entity_signature``
    unless the entity was not found): stored without metadata under var/, with their SHA-256
    on the record. A ``rectify`` result opens
    a rectification work order with a time limit; ``penalty`` files a penalty case. The result
    must be published within SUPERVISION_PUBLICITY_DAYS working days."""
    officer = assigned_officer(actor, inspection)
    cleaned = _clean_checklist(inspection, checklist)
    if result not in Result.values:
        raise ValidationError.for_field("result", _("must be one of %s") % ", ".join(Result.values))
    text = (findings or "").strip()
    if len(text) > 4000:
        raise ValidationError.for_field("findings", _("at most %d characters") % 4000)
    if result in (Result.RECTIFY, Result.PENALTY) and not text:
        raise ValidationError.for_field("findings", _("describe what was found"))
    if result != Result.PASS and all(c["ok"] for c in cleaned) and result != Result.NOT_FOUND:
        raise ValidationError.for_field("result", _("every check is met: the result is “no problem found”"))
    if result == Result.PASS and not all(c["ok"] for c in cleaned):
        raise ValidationError.for_field(
            "result", _("a check is not met: the result cannot be “no problem found”")
        )
    signer = (entity_signer or "").strip()
    if result != Result.NOT_FOUND and not signer:
        raise ValidationError.for_field("entity_signer", _("the entity's signature is required"))
    if len(signer) > 50:
        raise ValidationError.for_field("entity_signer", _("at most %d characters") % 50)
    drawn = {"inspector": _clean_signature(inspector_signature, "inspector_signature")}
    if result != Result.NOT_FOUND or entity_signature:
        drawn["entity"] = _clean_signature(entity_signature, "entity_signature")
    changes: dict[str, Any] = {
        "checklist_results": cleaned,
        "findings": text,
        "result": result,
        "entity_signer": signer,
        "inspector_signer": officer.name,
    }
    for who, png in drawn.items():
        changes[f"{who}_signature"], changes[f"{who}_signature_sha256"] = _store_signature(
            inspection, who, png
        )
    INSPECTION_FLOW.apply(
        inspection, "record", actor=actor, changes=changes, expected_version=expected_version
    )
    inspection.inspected_on = timezone.localdate()
    extra: dict[str, Any] = {"inspected_on": inspection.inspected_on}
    entity = inspection.entity
    if result == Result.RECTIFY:
        order = workorders.work_order_open_on_behalf(
            requester=actor,
            via=VIA,
            kind="rectification",
            category="0701",
            title=_("Rectification after inspection: %s") % entity.name,
            description=text,
            region=entity.org_unit,
            department=inspection.department,
            source_ref=f"inspection:{inspection.pk}",
            due_working_days=settings.SUPERVISION_RECTIFICATION_DAYS,
        )
        extra["rectification_ref"] = order.number
        inspection.rectification_ref = order.number
    elif result == Result.PENALTY:
        penalty_file(
            actor=actor,
            department=inspection.department,
            entity=entity,
            facts=text,
            inspection=inspection,
            via=VIA,
        )
    Inspection.objects.filter(pk=inspection.pk).update(**extra)
    if result != Result.NOT_FOUND:
        kind = "inspection_pass" if result == Result.PASS else "inspection_fail"
        credit.credit_event_record(
            actor=actor,
            via=VIA,
            entity=entity,
            kind=kind,
            source_ref=f"inspection:{inspection.pk}",
            summary=f"{inspection.plan.title}: {inspection.get_result_display()}",
            occurred_on=inspection.inspected_on,
            severity=2 if result == Result.PENALTY else 1,
        )
    return inspection


@transaction.atomic
def inspection_photo_add(*, actor: Any, inspection: Inspection, data: bytes) -> InspectionPhoto:
    """An assigned inspector adds a photo (until the result is published): decoded for real, the
    original kept privately and a copy without EXIF/GPS for public views."""
    assigned_officer(actor, inspection)
    if inspection.state == "published":
        raise ValidationError.for_field("photo", _("the result is published already"))
    if inspection.photos.count() >= MAX_PHOTOS:
        raise ValidationError.for_field("photo", _("at most %d photos per inspection") % MAX_PHOTOS)
    img, fmt = grid.check_image(data)
    content_type, ext = grid.PHOTO_FORMATS[fmt]
    stripped = grid.strip_image(img, fmt)
    name = uuid.uuid4().hex
    original = Path("original") / str(inspection.pk) / f"{name}.{ext}"
    public = Path("public") / str(inspection.pk) / f"{name}.{ext}"
    for rel, blob in ((original, data), (public, stripped)):
        target = photo_root() / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob)
    photo = InspectionPhoto.objects.create(
        inspection=inspection,
        original=str(original),
        public=str(public),
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    audit.record(
        actor=actor,
        action="supervision.photo.add",
        target=inspection,
        after={"photo": photo.pk, "bytes": len(data)},
    )
    return photo


@transaction.atomic
def inspection_publish(
    *, actor: Any, inspection: Inspection, expected_version: int | None = None
) -> Inspection:
    """Publish a recorded result (公示): it appears on the plan's public page without the
    entity signer's name, photos in their stripped copies only, until SUPERVISION_RESULT_PUBLICITY_DAYS
    days from today (then ``publicity_expire`` removes it)."""
    now = timezone.now()
    until = timezone.localdate() + dt.timedelta(days=settings.SUPERVISION_RESULT_PUBLICITY_DAYS)
    INSPECTION_FLOW.apply(inspection, "publish", actor=actor, expected_version=expected_version)
    Inspection.objects.filter(pk=inspection.pk).update(published_at=now, publicity_until=until)
    inspection.published_at, inspection.publicity_until = now, until
    return inspection


def plan_publish_results(*, actor: Any, plan: Any) -> int:
    """Publish every recorded result of a plan; returns how many."""
    ensure_can(actor, "supervision.plan", plan.org_unit, plan.department)
    done = 0
    for inspection in plan.inspections.filter(state="recorded"):
        inspection_publish(actor=actor, inspection=inspection)
        done += 1
    return done
