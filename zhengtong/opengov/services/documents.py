"""Proactive disclosure (主动公开): documents with their metadata and validity, the disclosure
guide, the full-text index, and the open-data export of the catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.core.errors import ValidationError
from zhengtong.opengov import search
from zhengtong.opengov.models import TOPICS, Category, Document, Guide, Validity

VIA = "opengov"


def _text(field: str, value: Any, max_length: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("at most %d characters") % max_length)
    return text


def _date(field: str, value: Any, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationError.for_field(field, _("is required"))
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError.for_field(field, _("must be a date (YYYY-MM-DD)")) from None


def _index_number(department: Any, published_on: dt.date) -> str:
    """索引号: the department's unit code, year, and a sequence within the department and year."""
    n = Document.objects.filter(department=department, published_on__year=published_on.year).count() + 1
    return f"{department.org_unit.code}-{department.code}/{published_on.year}-{n:05d}"


@transaction.atomic
def document_publish(
    *,
    actor: Any,
    department: Any,
    category: str,
    title: str,
    body: str,
    issuing_body: str,
    issued_on: Any,
    doc_number: str = "",
    topic: str = "general",
    effective_on: Any = None,
    published_on: Any = None,
    replaces: Document | None = None,
    source_request: Any = None,
    via: str = "",
) -> Document:
    """Publish a document in ``department``'s catalogue (``opengov.publish`` there), indexed for
    full-text search at once. ``replaces``: an earlier document of the department this one
    replaces; it stays findable, marked replaced, with a link to this one."""
    if not via:
        ensure_can(actor, "opengov.publish", department.org_unit, department)
    if category not in Category.values:
        raise ValidationError.for_field("category", _("must be one of %s") % ", ".join(Category.values))
    if topic not in TOPICS:
        raise ValidationError.for_field("topic", _("must be one of %s") % ", ".join(TOPICS))
    title = _text("title", title, 300)
    body = _text("body", body, 500_000)
    issuing_body = _text("issuing_body", issuing_body, 200)
    doc_number = _text("doc_number", doc_number, 80, required=False)
    issued = _date("issued_on", issued_on)
    effective = _date("effective_on", effective_on, required=False)
    published = _date("published_on", published_on, required=False) or timezone.localdate()
    if issued > published:
        raise ValidationError.for_field("issued_on", _("cannot be after the publication date"))
    if replaces is not None and replaces.department_id != department.pk:
        raise ValidationError.for_field("replaces", _("must be a document of the same department"))
    grams_title, grams_body = search.grams_for(title, doc_number, body)
    doc = Document.objects.create(
        index_number=_index_number(department, published),
        org_unit=department.org_unit,
        department=department,
        category=category,
        topic=topic,
        title=title,
        doc_number=doc_number,
        issuing_body=issuing_body,
        issued_on=issued,
        published_on=published,
        effective_on=effective,
        body=body,
        grams_title=grams_title,
        grams_body=grams_body,
        source_request=source_request,
        created_by=actor,
    )
    search.index_document(doc)
    audit.record(
        actor=actor,
        action="opengov.document.publish",
        target=doc,
        after={"category": category, "doc_number": doc_number, "title": title[:100]},
        via=via,
    )
    if replaces is not None:
        _set_validity(actor=actor, document=replaces, validity=Validity.REPLACED, replaced_by=doc)
    return doc


def _set_validity(
    *, actor: Any, document: Document, validity: str, replaced_by: Document | None = None
) -> None:
    before = {"validity": document.validity}
    document.validity = validity
    document.replaced_by = replaced_by
    document.status_changed_on = timezone.localdate()
    document.save(update_fields=["validity", "replaced_by", "status_changed_on", "updated_at"])
    audit.record(
        actor=actor,
        action="opengov.document.validity",
        target=document,
        before=before,
        after={"validity": validity, "replaced_by": replaced_by.index_number if replaced_by else ""},
    )


@transaction.atomic
def document_set_validity(*, actor: Any, document: Document, validity: str) -> Document:
    """Mark a document amended, repealed or expired (or valid again). It stays published and
    findable with its status; replacing it is ``document_publish(replaces=...)``."""
    ensure_can(actor, "opengov.publish", document.org_unit, document.department)
    if validity not in Validity.values or validity == Validity.REPLACED:
        allowed = [v for v in Validity.values if v != Validity.REPLACED]
        raise ValidationError.for_field("validity", _("must be one of %s") % ", ".join(allowed))
    _set_validity(actor=actor, document=document, validity=validity)
    return document


@transaction.atomic
def guide_set(
    *,
    actor: Any,
    department: Any,
    body: str,
    office: str,
    address: str = "",
    hours: str = "",
    phone: str = "",
) -> Guide:
    """Write ``department``'s disclosure guide (条例 §12)."""
    ensure_can(actor, "opengov.publish", department.org_unit, department)
    values = {
        "body": _text("body", body, 20_000),
        "office": _text("office", office, 200),
        "address": _text("address", address, 200, required=False),
        "hours": _text("hours", hours, 100, required=False),
        "phone": _text("phone", phone, 30, required=False),
    }
    guide, created = Guide.objects.update_or_create(
        department=department, defaults={**values, "org_unit": department.org_unit}
    )
    audit.record(actor=actor, action="opengov.guide.set", target=guide, after={"created": created})
    return guide


CATALOGUE_FIELDS = [
    "index_number",
    "title",
    "doc_number",
    "issuing_body",
    "department",
    "region_code",
    "category",
    "topic",
    "issued_on",
    "published_on",
    "effective_on",
    "validity",
    "replaced_by",
]


def catalogue_export(*, actor: Any = None) -> str:
    """Publish the disclosure catalogue (metadata of every document, not the texts) as the
    platform dataset ``opengov-disclosure-catalogue`` through the catalogue's trusted entry point."""
    rows = (
        (
            d.index_number,
            d.title,
            d.doc_number,
            d.issuing_body,
            d.department.name,
            d.org_unit.code,
            d.category,
            d.topic,
            d.issued_on.isoformat(),
            d.published_on.isoformat(),
            d.effective_on.isoformat() if d.effective_on else "",
            d.validity,
            d.replaced_by.index_number if d.replaced_by_id else "",
        )
        for d in Document.objects.select_related("department", "org_unit", "replaced_by")
        .order_by("id")
        .iterator(chunk_size=2000)
    )
    return platform_dataset_publish(
        name="opengov-disclosure-catalogue",
        fields=CATALOGUE_FIELDS,
        rows=rows,
        title="政府信息主动公开目录",
        title_en="Proactive disclosure catalogue",
        description="每个部门主动公开的政府信息目录：索引号、标题、文号、发布机关、类别、主题、日期和效力状态。",
        domain="government_services",
        keywords=["政务公开", "政府信息公开", "目录"],
        actor=actor,
        via=VIA,
    )
