"""A dataset's further resources besides its data table: documents (uploaded files kept for
real, each with its own grade) and API links (linked to the API catalogue when the address is a
catalogued API's). The data dictionary and the GeoJSON export are derived from the current
version and need no writes (``zhengtong.catalog.further``)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import DataResource, DataService, ResourceAttachment
from zhengtong.catalog.services.loads import _store_upload
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.privacy.grades import GRADES

audit_actions.register(
    {
        "catalog.attachment.add": gettext_lazy("Add a document or API link to a dataset"),
        "catalog.attachment.remove": gettext_lazy("Remove a document or API link from a dataset"),
    }
)

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# extension -> (media type, accepted leading bytes; None: text without NUL bytes)
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "txt": ("text/plain; charset=utf-8", None),
    "md": ("text/markdown; charset=utf-8", None),
    "csv": ("text/csv; charset=utf-8", None),
}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _text(field: str, value: Any, *, required: bool, limit: int) -> str:
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > limit:
        raise ValidationError.for_field(field, _("at most %d characters") % limit)
    return text


def _writable(resource: DataResource) -> None:
    if resource.state == "retired":
        raise Conflict(_("a retired resource takes no new data"), code=CatalogError.RETIRED)


def _check_content(path: str, ext: str) -> None:
    """The file's first bytes must be what its extension says (a renamed executable is refused)."""
    _media, magic = DOCUMENT_TYPES[ext]
    with open(path, "rb") as fh:
        head = fh.read(8192)
    ok = b"\x00" not in head if magic is None else any(head.startswith(m) for m in magic)
    if not ok:
        raise ValidationError.for_field(
            "file",
            _("the content is not a .%(ext)s file (rule: content matches the extension)") % {"ext": ext},
        )


def document_add(
    *,
    actor: Any,
    resource: DataResource,
    uploaded_file: Any,
    title: str,
    title_en: str = "",
    description: str = "",
    grade: str = "L1",
    file_name: str | None = None,
) -> ResourceAttachment:
    """Attach a document (PDF, DOCX, DOC, XLSX, XLS, PPTX, ODT, ODS, TXT, MD, CSV; at most
    CATALOG_DOCUMENT_MAX_BYTES) to ``resource`` (catalog.edit there). ``grade`` is the grade of
    what the document holds: it caps who may download it, like a field's grade caps openness
    (``further.document_allowed``)."""
    ensure_can_on(actor, "catalog.edit", resource)
    _writable(resource)
    title = _text("title", title, required=True, limit=200)
    title_en = _text("title_en", title_en, required=False, limit=200)
    description = _text("description", description, required=False, limit=5000)
    if grade not in GRADES:
        raise ValidationError.for_field("grade", _("must be one of %s") % ", ".join(GRADES))
    if file_name is None:
        file_name = getattr(uploaded_file, "name", None) or str(uploaded_file)
    file_name = os.path.basename(str(file_name or ""))[:255]
    ext = Path(file_name).suffix.lower().lstrip(".")
    if ext not in DOCUMENT_TYPES:
        raise ValidationError.for_field(
            "file",
            _("unsupported document type “%(ext)s” (one of %(types)s)")
            % {"ext": ext or file_name, "types": ", ".join(DOCUMENT_TYPES)},
        )
    path, size, sha = _store_upload(
        resource, uploaded_file, file_name, subdir="documents", limit=settings.CATALOG_DOCUMENT_MAX_BYTES
    )
    try:
        _check_content(path, ext)
        with transaction.atomic():
            attachment = ResourceAttachment.objects.create(
                resource=resource,
                kind=ResourceAttachment.Kind.DOCUMENT,
                title=title,
                title_en=title_en,
                description=description,
                grade=grade,
                file_name=file_name,
                file_path=path,
                file_size=size,
                file_sha256=sha,
                file_format=ext,
                media_type=DOCUMENT_TYPES[ext][0],
                created_by=actor if getattr(actor, "pk", None) else None,
            )
            audit.record(
                actor=actor,
                action="catalog.attachment.add",
                target=resource,
                after={
                    "document": attachment.pk,
                    "file": file_name,
                    "size": size,
                    "sha256": sha,
                    "grade": grade,
                },
            )
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return attachment


def _catalogued(url: str) -> DataService | None:
    """The catalogued API whose base address the link starts with (the longest one)."""
    matches = [s for s in DataService.objects.all() if url.startswith(s.base_url.rstrip("/"))]
    return max(matches, key=lambda s: len(s.base_url), default=None)


def api_link_add(
    *,
    actor: Any,
    resource: DataResource,
    url: str,
    title: str,
    title_en: str = "",
    description: str = "",
    dataservice: str = "",
) -> ResourceAttachment:
    """Attach an API link (catalog.edit at the resource). ``dataservice`` names an API catalogue
    entry; without it the link is matched to the entry whose base address it starts with."""
    ensure_can_on(actor, "catalog.edit", resource)
    _writable(resource)
    title = _text("title", title, required=True, limit=200)
    title_en = _text("title_en", title_en, required=False, limit=200)
    description = _text("description", description, required=False, limit=5000)
    url = (url or "").strip() if isinstance(url, str) else ""
    if not _URL.match(url) or len(url) > 500:
        raise ValidationError.for_field("url", _("must be an http(s) address"))
    service = None
    if dataservice:
        service = DataService.objects.filter(name=str(dataservice).strip()).first()
        if service is None:
            raise ValidationError.for_field("dataservice", _("no catalogued API “%s”") % dataservice)
    else:
        service = _catalogued(url)
    with transaction.atomic():
        attachment = ResourceAttachment.objects.create(
            resource=resource,
            kind=ResourceAttachment.Kind.API,
            title=title,
            title_en=title_en,
            description=description,
            url=url,
            dataservice=service,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            action="catalog.attachment.add",
            target=resource,
            after={"api_link": attachment.pk, "url": url, "dataservice": service.name if service else None},
        )
    return attachment


def attachment_remove(*, actor: Any, attachment: ResourceAttachment) -> None:
    """Remove a document or API link (catalog.edit at its resource); a document's file is deleted
    once the removal commits."""
    resource = attachment.resource
    ensure_can_on(actor, "catalog.edit", resource)
    path = attachment.file_path
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="catalog.attachment.remove",
            target=resource,
            before={attachment.kind: attachment.pk, "title": attachment.title},
        )
        attachment.delete()
        if path:
            transaction.on_commit(lambda: Path(path).unlink(missing_ok=True))
