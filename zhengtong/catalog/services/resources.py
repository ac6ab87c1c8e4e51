"""Data resources and their review workflow: catalogue a resource, change its metadata, and take
its lifecycle steps (submit, approve, reject, retire, reopen) through the workflow core."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog.models import DataResource, Domain, Licence, Openness, UpdateFrequency
from zhengtong.catalog.services.grades import _check_openness
from zhengtong.core.errors import Conflict, CoreError, NotFound, ValidationError
from zhengtong.datastore import engine

if TYPE_CHECKING:
    from zhengtong.accounts.models import Department

audit_actions.register({"catalog.resource.update": gettext_lazy("Change data resource metadata")})


NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
METADATA_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "domain",
    "keywords",
    "keywords_en",
    "update_frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "licence",
    "openness",
    "contact_name",
    "contact_email",
)


def search_text(resource: DataResource, schema: dict | None = None) -> str:
    parts = [
        resource.name,
        resource.title,
        resource.title_en,
        resource.description,
        resource.description_en,
        *resource.keywords,
        *resource.keywords_en,
    ]
    if resource.department_id:
        parts.append(resource.department.name)
    for f in (schema or {}).get("fields", []):
        parts += [f.get("name", ""), f.get("title", ""), f.get("title_en", ""), f.get("description", "")]
    return "\n".join(str(p) for p in parts if p).lower()


# Control characters besides tab and line breaks: no metadata needs one, and feeds (XML, Turtle)
# cannot carry them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_metadata(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(data) - set(METADATA_FIELDS) - {"name", "department"}
    if unknown:
        raise ValidationError(fields={f: [_("is not a field of a data resource")] for f in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def text(name: str, max_length: int, required: bool = False) -> None:
        if name not in data:
            if required and not partial:
                errors[name] = [_("is required")]
            return
        value = data[name]
        value = "" if value is None else str(value).strip()
        if required and not value:
            errors[name] = [_("is required")]
        elif len(value) > max_length:
            errors[name] = [_("at most %d characters") % max_length]
        else:
            cleaned[name] = value

    def choice(name: str, choices) -> None:
        if name in data:
            value = str(data[name] or "").strip()
            valid = [str(c) for c in choices.values]
            if value not in valid:
                errors[name] = [_("must be one of %s") % ", ".join(valid)]
            else:
                cleaned[name] = value

    text("title", 200, required=True)
    text("title_en", 200)
    text("description", 5000)
    text("description_en", 5000)
    text("contact_name", 100)
    text("contact_email", 254)
    text("spatial", 15)
    choice("domain", Domain)
    choice("update_frequency", UpdateFrequency)
    choice("licence", Licence)
    choice("openness", Openness)
    if cleaned.get("contact_email"):
        try:
            validate_email(cleaned["contact_email"])
        except DjangoValidationError:
            errors["contact_email"] = [_("is not an email address")]
    for name, value in cleaned.items():
        if isinstance(value, str) and _CONTROL.search(value):
            errors.setdefault(name, []).append(_("must not contain control characters"))
    if cleaned.get("spatial") and not (cleaned["spatial"].isascii() and cleaned["spatial"].isdigit()):
        errors["spatial"] = [_("must be a region code")]
    for name in ("keywords", "keywords_en"):
        if name not in data:
            continue
        raw = data[name]
        if isinstance(raw, str):
            raw = [
                k for k in re.split(r"[,，;；\s]+" if name == "keywords" else r"[,，;；]+", raw) if k.strip()
            ]
        if not isinstance(raw, list | tuple) or not all(isinstance(k, str) for k in raw):
            errors[name] = [_("must be a list of words")]
        elif len(raw) > 30 or any(len(k) > 40 for k in raw):
            errors[name] = [_("at most 30 keywords of at most 40 characters")]
        elif any(_CONTROL.search(k) for k in raw):
            errors[name] = [_("must not contain control characters")]
        else:
            cleaned[name] = list(dict.fromkeys(k.strip() for k in raw if k.strip()))
    for name in ("temporal_start", "temporal_end"):
        if name in data:
            value = data[name]
            if value in (None, ""):
                cleaned[name] = None
            elif isinstance(value, dt.date):
                cleaned[name] = value
            else:
                try:
                    cleaned[name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = [_("must be a date (YYYY-MM-DD)")]
            if cleaned.get(name) and not 1000 <= cleaned[name].year <= 9999:
                del cleaned[name]
                errors[name] = [_("must be a date between 1000-01-01 and 9999-12-31")]
    start, end = cleaned.get("temporal_start"), cleaned.get("temporal_end")
    if start and end and start > end:
        errors["temporal_end"] = [_("must not be before the start")]
    if errors:
        raise ValidationError(fields=errors)
    return cleaned


@transaction.atomic
def resource_create(*, actor: Any, department: Department, name: str, **data: Any) -> DataResource:
    """Catalogue a new data resource (draft) for ``department`` (catalog.edit there)."""
    ensure_can(actor, "catalog.edit", department.org_unit, department)
    return _resource_insert(actor=actor, department=department, name=name, **data)


def _resource_insert(
    *, actor: Any, department: Department, name: str, via: str = "", **data: Any
) -> DataResource:
    """Validate and insert a draft resource, and start its workflow (timeline and audit name
    ``actor``, None for the system, and ``via``). The caller has checked permission."""
    name = (name or "").strip().lower()
    if not NAME_RE.match(name):
        raise ValidationError.for_field(
            "name", _("3–100 lower-case ASCII letters, digits and hyphens, not at either end")
        )
    if DataResource.objects.filter(name=name).exists():
        raise Conflict(_("a data resource named “%s” exists already") % name, code=CoreError.DUPLICATE)
    cleaned = _clean_metadata(data, partial=False)
    if cleaned.get("openness"):
        _check_openness(cleaned["openness"], "L1")
    resource = DataResource(
        name=name,
        department=department,
        org_unit=department.org_unit,
        state=DataResource.workflow.initial,
        created_by=actor if getattr(actor, "pk", None) else None,
        spatial=cleaned.pop("spatial", "") or department.org_unit.code,
        **cleaned,
    )
    resource.search_text = search_text(resource)
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError:
        raise Conflict(
            _("a data resource named “%s” exists already") % name, code=CoreError.DUPLICATE
        ) from None
    DataResource.workflow.start(
        resource,
        actor=actor,
        after={"name": name, "title": resource.title, "state": resource.state},
        via=via,
    )
    return resource


@transaction.atomic
def resource_update(*, actor: Any, resource: DataResource, **changes: Any) -> DataResource:
    """Change a resource's metadata (catalog.edit at its department). Openness is checked
    against the grade: it may never exceed what the grade allows."""
    ensure_can_on(actor, "catalog.edit", resource)
    changes.pop("name", None)
    cleaned = _clean_metadata(changes, partial=True)
    if "openness" in cleaned:
        _check_openness(cleaned["openness"], resource.grade)
    before = {k: getattr(resource, k) for k in cleaned}
    changed = {k: v for k, v in cleaned.items() if before[k] != v}
    if not changed:
        return resource
    for key, value in changed.items():
        setattr(resource, key, value)
    schema = resource.current_version.schema if resource.current_version_id else None
    resource.search_text = search_text(resource, schema)
    resource.save(update_fields=[*changed, "search_text", "modified_at"])
    audit.record(
        actor=actor,
        action="catalog.resource.update",
        target=resource,
        before={k: before[k] for k in changed},
        after=changed,
    )
    return resource


def _step(
    resource: DataResource,
    name: str,
    *,
    actor: Any,
    note: str = "",
    expected_version: int | None = None,
    check_openness: bool = False,
    published: bool = False,
) -> DataResource:
    """Take one lifecycle step through the workflow core: permission by role at the resource's
    department, optimistic version check (``expected_version``), timeline and audit."""
    ensure_authenticated(actor)
    changes: dict[str, Any] = {"modified_at": timezone.now()}
    if check_openness:
        _check_openness(resource.openness, resource.grade)
    if published:
        changes["published_at"] = timezone.now()
    with transaction.atomic():
        DataResource.workflow.apply(
            resource, name, actor=actor, note=note, changes=changes, expected_version=expected_version
        )
    return resource


def resource_submit(
    *, actor: Any, resource: DataResource, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Submit a draft for review (catalog.edit): its data is loaded, every field's grade is
    confirmed and its openness is within what its grade allows."""
    return _step(
        resource, "submit", actor=actor, note=note, expected_version=expected_version, check_openness=True
    )


def resource_approve(
    *, actor: Any, resource: DataResource, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Approve a resource under review and publish it (catalog.review); the openness is checked
    against the grade once more."""
    resource = _step(
        resource,
        "approve",
        actor=actor,
        note=note,
        expected_version=expected_version,
        check_openness=True,
        published=True,
    )
    _serve_structures(resource, retire=False)
    return resource


def resource_reject(
    *, actor: Any, resource: DataResource, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Return a resource under review to draft (catalog.review); the reason is required."""
    return _step(resource, "reject", actor=actor, note=note, expected_version=expected_version)


def resource_retire(
    *, actor: Any, resource: DataResource, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Retire a published resource (catalog.edit); the reason is required. It takes no new data."""
    resource = _step(resource, "retire", actor=actor, note=note, expected_version=expected_version)
    _serve_structures(resource, retire=True)
    return resource


def _serve_structures(resource: DataResource, *, retire: bool) -> None:
    """After commit: a retired resource's row and text indexes are removed (its files stay for
    history); a (re)published one's current version gets them back if they were removed."""
    version = resource.current_version
    if version is None or not version.table_key:
        return
    key, number = version.table_key, version.store_version

    def apply() -> None:
        try:
            if retire:
                engine.retire(key)
            else:
                engine.activate(key, number)
        except CoreError:  # the catalog's row stays the source of truth; queries fall back to scans
            pass

    transaction.on_commit(apply)


def resource_reopen(
    *, actor: Any, resource: DataResource, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Reopen a retired resource as a draft (catalog.edit)."""
    return _step(resource, "reopen", actor=actor, note=note, expected_version=expected_version)


# The named step for each lifecycle action the HTTP layer accepts (views and API map to these).
RESOURCE_STEPS = {
    "submit": resource_submit,
    "approve": resource_approve,
    "reject": resource_reject,
    "retire": resource_retire,
    "reopen": resource_reopen,
}


def resource_by_name(name: str) -> DataResource:
    found = (
        DataResource.objects.filter(name=name)
        .select_related("department", "org_unit", "current_version")
        .first()
    )
    if found is None:
        raise NotFound(_("no data resource “%s”") % name)
    return found
