"""Incident photos: decoded for real, the original kept privately, a copy stripped of metadata."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from zhengtong.accounts.permissions import can_on
from zhengtong.audit import services as audit
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.grid.models import Incident, IncidentPhoto

PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}

# --- photos -------------------------------------------------------------------------------


def photo_root() -> Path:
    return Path(settings.VAR_DIR) / "grid" / "photos"


def check_image(data: bytes, field: str = "photo"):
    """Decode an upload for real; returns (image, format). Refuses non-images, unknown formats,
    oversized files and decompression bombs."""
    if len(data) > settings.GRID_PHOTO_MAX_BYTES:
        raise ValidationError.for_field(
            field, _("the file is larger than %d MB") % (settings.GRID_PHOTO_MAX_BYTES // (1024 * 1024) or 1)
        )
    if not data:
        raise ValidationError.for_field(field, _("the file is empty"))
    try:
        img = Image.open(io.BytesIO(data))
        fmt = img.format
        if fmt not in PHOTO_FORMATS:
            raise ValidationError.for_field(field, _("must be a JPEG, PNG or WebP image"))
        width, height = img.size
        if width * height > settings.GRID_PHOTO_MAX_PIXELS:
            raise ValidationError.for_field(
                field, _("the image has too many pixels (%(w)d×%(h)d)") % {"w": width, "h": height}
            )
        img.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError.for_field(field, _("is not a readable image")) from None
    return img, fmt


def strip_image(img, fmt: str) -> bytes:
    """Re-encode without any metadata (EXIF, GPS, XMP, comments); orientation applied first."""
    img = ImageOps.exif_transpose(img)
    out = io.BytesIO()
    if fmt == "JPEG":
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(out, format="JPEG", quality=85)
    elif fmt == "PNG":
        clean = img.copy()
        clean.info = {}
        clean.save(out, format="PNG")
    else:
        img.save(out, format="WEBP", quality=85)
    return out.getvalue()


@transaction.atomic
def photo_add(*, actor: Any, incident: Incident, data: bytes, check_permission: bool = True) -> IncidentPhoto:
    """Store a photo: the original privately, a copy stripped of metadata for public views."""
    if check_permission and not (
        can_on(actor, "grid.view", incident)
        or (actor is not None and incident.reporter_id == getattr(actor, "pk", -1))
    ):
        raise PermissionDenied(_("you may not add photos to this incident"))
    if incident.photos.count() >= 6:
        raise ValidationError.for_field("photo", _("at most 6 photos per incident"))
    img, fmt = check_image(data)
    content_type, ext = PHOTO_FORMATS[fmt]
    stripped = strip_image(img, fmt)
    name = uuid.uuid4().hex
    root = photo_root()
    original = Path("original") / str(incident.pk) / f"{name}.{ext}"
    public = Path("public") / str(incident.pk) / f"{name}.{ext}"
    for rel, blob in ((original, data), (public, stripped)):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(blob)
        tmp.replace(target)
    photo = IncidentPhoto.objects.create(
        incident=incident,
        original=str(original),
        public=str(public),
        content_type=content_type,
        width=img.size[0],
        height=img.size[1],
        size=len(data),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action="grid.photo.add",
        target=incident,
        after={"photo": photo.pk, "bytes": len(data)},
    )
    return photo
