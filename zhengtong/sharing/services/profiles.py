"""Sharing attributes (共享属性) of a source: a catalogue resource or a base registry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.privacy import grades
from zhengtong.sharing.models import DeliveryMode, Registry, SharingProfile, SharingType

# The fields of the base registries that may be shared, with their titles and their grade
# (privacy.grades levels; shared/reference/datasec.md: name and birth date 3级 → L2, ID and
# phone and address L3; published registration facts of an entity L1).
REGISTRY_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    Registry.PERSON: [
        ("resident_id", "公民身份号码", "L3"),
        ("name", "姓名", "L2"),
        ("sex", "性别", "L2"),
        ("birth_date", "出生日期", "L2"),
        ("ethnicity", "民族", "L3"),
        ("phone", "手机号码", "L3"),
        ("address", "户籍地址", "L3"),
    ],
    Registry.ENTITY: [
        ("uscc", "统一社会信用代码", "L1"),
        ("name", "名称", "L1"),
        ("entity_type", "类型", "L1"),
        ("legal_representative", "法定代表人", "L2"),
        ("registered_address", "住所", "L1"),
        ("region_code", "行政区划代码", "L1"),
    ],
}
REGISTRY_KEY = {Registry.PERSON: "resident_id", Registry.ENTITY: "uscc"}
REGISTRY_TITLE = {Registry.PERSON: "人口综合库", Registry.ENTITY: "法人综合库"}
# Registry rows have no region column: their row scope applies to the record's org unit code.
REGISTRY_REGION = "org_unit"
MODES = [m.value for m in DeliveryMode]
# A base registry is never extracted in bulk: one record at a time.
REGISTRY_MODES = [DeliveryMode.VERIFICATION.value, DeliveryMode.INTERFACE.value]


def source_fields(*, resource: Any = None, registry: str = "") -> list[dict]:
    """The fields of a source with their catalogue grade (the floor of a sharing grade)."""
    if registry:
        return [{"name": n, "title": t, "grade": g} for n, t, g in REGISTRY_FIELDS[registry]]
    version = resource.current_version
    if version is None:
        return []
    return [
        {"name": f["name"], "title": f.get("title") or f["name"], "grade": f.get("grade") or "L1"}
        for f in version.fields
    ]


def default_fields(*, resource: Any = None, registry: str = "") -> list[dict]:
    return [
        {**f, "shareable": f["grade"] != "L4"} for f in source_fields(resource=resource, registry=registry)
    ]


@transaction.atomic
def profile_set(
    *,
    actor: Any,
    resource: Any = None,
    registry: str = "",
    org_unit: Any = None,
    department: Any = None,
    sharing_type: str,
    legal_basis: str = "",
    fields: dict[str, dict],
    key_field: str = "",
    region_field: str = "",
    modes: list[str] | None = None,
) -> SharingProfile:
    """Set the sharing attributes of a catalogue resource (its owner's) or of a base registry
    (at ``org_unit`` for ``department``). ``fields`` maps a field name to
    ``{"shareable": bool, "grade": "L1".."L4"}``; a field's sharing grade is never below its
    catalogue grade. "Not shared" needs its legal basis. Audited with before and after."""
    if resource is not None:
        org_unit, department, registry = resource.org_unit, resource.department, ""
    elif registry not in Registry.values:
        raise ValidationError.for_field("registry", _("choose a catalogue resource or a registry"))
    if org_unit is None or department is None:
        raise ValidationError.for_field("department", _("a registry's sharing needs its owner department"))
    ensure_can(actor, "sharing.manage", org_unit, department)
    errors: dict[str, list[str]] = {}
    if sharing_type not in SharingType.values:
        errors["sharing_type"] = [_("unknown sharing type")]
    legal_basis = (legal_basis or "").strip()
    if sharing_type == SharingType.NOT_SHARED and not legal_basis:
        errors["legal_basis"] = [_("name the law or rule that forbids sharing")]
    if len(legal_basis) > 500:
        errors["legal_basis"] = [_("at most 500 characters")]
    known = source_fields(resource=resource, registry=registry)
    if not known:
        errors["fields"] = [_("the resource has no loaded version yet")]
    names = {f["name"] for f in known}
    for name in fields:
        if name not in names:
            errors[f"fields.{name}"] = [_("no such field")]
    rows = []
    for f in known:
        change = fields.get(f["name"]) or {}
        grade = change.get("grade") or f["grade"]
        if grade not in grades.GRADES:
            errors[f"fields.{f['name']}.grade"] = [_("a grade is L1, L2, L3 or L4")]
            continue
        grade = grades.grade_max([grade, f["grade"]])
        shareable = bool(change.get("shareable", f["grade"] != "L4"))
        rows.append({"name": f["name"], "title": f["title"], "shareable": shareable, "grade": grade})
    if registry:
        key_field, region_field = REGISTRY_KEY[registry], REGISTRY_REGION
    else:
        for label, value in (("key_field", key_field), ("region_field", region_field)):
            if value and value not in names:
                errors[label] = [_("no such field")]
    allowed = REGISTRY_MODES if registry else MODES
    modes = list(modes) if modes else list(allowed)
    if any(m not in allowed for m in modes):
        errors["modes"] = [_("unknown delivery mode")]
    if errors:
        raise ValidationError(fields=errors)
    profile = SharingProfile.objects.filter(resource=resource) if resource is not None else None
    if resource is None:
        profile = SharingProfile.objects.filter(registry=registry, org_unit=org_unit)
    existing = profile.select_for_update().first()
    before = None
    if existing is None:
        existing = SharingProfile(resource=resource, registry=registry, org_unit=org_unit)
    else:
        before = {"sharing_type": existing.sharing_type, "fields": existing.fields}
    existing.department = department
    existing.title = resource.title if resource is not None else REGISTRY_TITLE[registry]
    existing.sharing_type = sharing_type
    existing.legal_basis = legal_basis
    existing.fields = rows
    existing.key_field = key_field
    existing.region_field = region_field
    existing.modes = modes
    existing.updated_by = actor
    existing.save()
    audit.record(
        actor=actor,
        action="sharing.profile.set",
        target=existing,
        org_unit=org_unit,
        before=before,
        after={"sharing_type": sharing_type, "fields": rows, "legal_basis": legal_basis},
    )
    return existing
