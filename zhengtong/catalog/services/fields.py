"""Field classification and grades: the privacy module's suggestion attached to each field of a
load, and the publisher's decisions (class, grade, desensitization policy) as a new version."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import DataResource, ResourceVersion
from zhengtong.catalog.services.grades import grade_max, public_grade
from zhengtong.catalog.services.resources import search_text
from zhengtong.catalog.services.versions import _activate, _desensitize, _make_current, _read_variant
from zhengtong.core.errors import Conflict, CoreError, ValidationError
from zhengtong.datastore import engine
from zhengtong.privacy.classify import ColumnClass, classify_table
from zhengtong.privacy.desensitize import default_policy, validate_policy
from zhengtong.privacy.grades import GRADES

audit_actions.register(
    {
        "catalog.resource.fields": gettext_lazy("Confirm or override field grades"),
        "catalog.resource.field_titles": gettext_lazy("Set field titles (Chinese and English)"),
    }
)


def _field_decision(field: dict, change: dict) -> dict:
    """Apply one publisher decision to a schema field (grade, category, policy, confirmed)."""
    name = field["name"]
    out = dict(field)
    cls = dict(out.get("classification") or {})
    if "category" in change and change["category"]:
        cls["category"] = str(change["category"])
    if "grade" in change and change["grade"]:
        if change["grade"] not in GRADES:
            raise ValidationError.for_field(f"{name}.grade", _("must be one of %s") % ", ".join(GRADES))
        out["grade"] = change["grade"]
    if "policy" in change and change["policy"]:
        policy = change["policy"]
        if isinstance(policy, str):
            policy = {"op": policy}
        if not isinstance(policy, dict) or policy.get("op") not in POLICY_OPS:
            raise ValidationError.for_field(f"{name}.policy", _("must be one of %s") % ", ".join(POLICY_OPS))
        if policy["op"] != (out.get("policy") or {}).get("op"):
            if policy["op"] != "keep" and len(policy) == 1:
                # Fill the operator's parameters from the privacy module's default for the class.
                suggested = default_policy(
                    ColumnClass(cls.get("category", "none"), out.get("grade", "L1"), 1.0, "publisher")
                )
                if suggested.get("op") == policy["op"]:
                    policy = suggested
                elif policy["op"] == "mask":
                    policy = {"op": "mask", "keep_first": 1, "keep_last": 1}
                elif policy["op"] == "generalize":
                    raise ValidationError.for_field(
                        f"{name}.policy", _("say what to generalize to (year, month, county, age_band, grid)")
                    )
            out["policy"] = validate_policy(f"{name}.policy", policy)
    out["classification"] = cls
    out["public_grade"] = public_grade(out.get("grade", "L1"), out.get("policy") or {"op": "keep"})
    if change.get("confirmed", True):
        out["confirmed"] = True
    return out


POLICY_OPS = ("keep", "mask", "generalize", "pseudonymize", "suppress", "round", "scan")


def field_grades_set(
    *, actor: Any, resource: DataResource, changes: dict[str, dict], confirm_all: bool = False, note: str = ""
) -> ResourceVersion:
    """Confirm or override the suggested class, grade and desensitization policy of fields.

    Versions are immutable, so the decision makes a new version: the raw rows of the current
    version are desensitized again with the decided policies and published as version n+1
    (atomically, like a load). Allowed while the resource is a draft; audited field by field.
    """
    ensure_can_on(actor, "catalog.edit", resource)
    if resource.state != "draft":
        raise Conflict(
            _("field grades can be changed only while the resource is a draft"), code=CatalogError.NOT_DRAFT
        )
    current = resource.current_version
    if current is None:
        raise ValidationError.for_field("fields", _("load data first"))
    by_name = {f["name"]: f for f in current.fields}
    unknown = set(changes) - set(by_name)
    if unknown:
        raise ValidationError(fields={f: [_("is not a field of this resource")] for f in sorted(unknown)})
    new_fields = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for f in current.fields:
        change = changes.get(f["name"])
        if change is None and not (confirm_all and not f.get("confirmed")):
            new_fields.append(f)
            continue
        decided = _field_decision(f, change or {})
        new_fields.append(decided)
        keys = ("grade", "policy", "confirmed", "classification")
        before[f["name"]] = {k: f.get(k) for k in keys}
        after[f["name"]] = {k: decided.get(k) for k in keys}
    if not after:
        return current
    schema = {**current.schema, "fields": new_fields}
    new_grade = grade_max(f.get("public_grade", f.get("grade")) for f in new_fields)
    policies_changed = any((before[n].get("policy") or {}) != (after[n].get("policy") or {}) for n in after)
    store_version = current.store_version
    if policies_changed:
        raw = _read_variant(current.table_key, current.store_version, "raw")
        public = _desensitize(raw, schema)
        store_version = engine.write_version(
            current.table_key,
            {"raw": raw, "public": public},
            mode="replace",
            base_version=current.store_version,
            serve=True,
        )
    with transaction.atomic():
        locked = DataResource.objects.select_for_update().get(pk=resource.pk)
        if locked.current_version_id != current.pk:
            raise Conflict(
                _("a new version was loaded meanwhile; reload and try again"), code=CoreError.STALE_VERSION
            )
        version = ResourceVersion.objects.create(
            resource=resource,
            number=current.number + 1,
            schema=schema,
            row_count=current.row_count,
            table_key=current.table_key,
            store_version=store_version,
            source_format=current.source_format,
            created_by=actor if getattr(actor, "pk", None) else None,
            note=(note or _("field grades decided"))[:300],
        )
        _make_current(resource, version, new_grade)
        audit.record(
            actor=actor,
            action="catalog.resource.fields",
            target=resource,
            before=before,
            after={**after, "_grade": new_grade, "_version": version.number},
            note=note,
        )
        transaction.on_commit(lambda: _activate(version))
    return version


def _classified_schema(table, schema: dict, previous: dict | None) -> dict:
    """Attach the classification, grade and policy to each field: the publisher's confirmed
    decision from the previous version where there is one, else the privacy module's suggestion."""
    before = {f["name"]: f for f in (previous or {}).get("fields", [])}
    names = [f["name"] for f in schema["fields"]]
    undecided = [n for n in names if not before.get(n, {}).get("confirmed")]
    suggestions = {}
    if undecided:
        sample_n = min(table.num_rows, settings.CATALOG_CLASSIFY_SAMPLE_ROWS)
        sample = table.select(undecided).slice(0, sample_n).to_pylist()
        sample = [{k: (None if v is None else str(v)) for k, v in row.items()} for row in sample]
        suggestions = classify_table(undecided, sample)
    fields = []
    for f in schema["fields"]:
        name = f["name"]
        old = before.get(name)
        if old is not None and old.get("confirmed"):
            merged = {
                **f,
                **{
                    k: old[k]
                    for k in ("classification", "grade", "policy", "public_grade", "confirmed")
                    if k in old
                },
            }
            merged.setdefault("title", old.get("title", name))
            fields.append(merged)
            continue
        cc = suggestions.get(name)
        if cc is None:
            category, grade, confidence, reason = "none", "L1", 0.0, ""
            policy = {"op": "keep"}
        else:
            category, grade, confidence, reason = cc.category, cc.grade, cc.confidence, cc.reason
            policy = default_policy(cc) or {"op": "keep"}
        fields.append(
            {
                **f,
                "classification": {
                    "category": category,
                    "confidence": round(float(confidence), 3),
                    "reason": str(reason),
                    "suggested_grade": grade,
                },
                "grade": grade,
                "policy": policy,
                "public_grade": public_grade(grade, policy),
                "confirmed": False,
            }
        )
    return {**schema, "fields": fields}


TITLE_KEYS = {"title": 200, "title_en": 200, "description": 2000, "description_en": 2000}


def field_titles_set(*, actor: Any, resource: DataResource, titles: dict[str, dict]) -> ResourceVersion:
    """Set the multilingual titles and descriptions of fields (``{"name": {"title": "…",
    "title_en": "…", "description": "…", "description_en": "…"}}``; a key left out keeps its
    value, an empty string clears it); catalog.edit at the resource, in any state but retired.

    Titles are documentation, not data: they change the current version's schema in place (no
    new version, no republication, no follower notice), are audited field by field, and are
    carried over by every later load (which starts from the previous schema)."""
    ensure_can_on(actor, "catalog.edit", resource)
    if resource.state == "retired":
        raise Conflict(_("a retired resource cannot be changed"), code=CatalogError.RETIRED)
    current = resource.current_version
    if current is None:
        raise ValidationError.for_field("fields", _("load data first"))
    if not isinstance(titles, dict) or not titles:
        raise ValidationError.for_field("fields", _("name at least one field"))
    by_name = {f["name"]: f for f in current.fields}
    unknown = set(titles) - set(by_name)
    if unknown:
        raise ValidationError(fields={f: [_("is not a field of this resource")] for f in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for name, change in titles.items():
        if not isinstance(change, dict):
            errors[name] = [_("must be an object of titles")]
            continue
        out = {}
        for key, value in change.items():
            if key not in TITLE_KEYS:
                errors[f"{name}.{key}"] = [
                    _("is not a title or description (one of %s)") % ", ".join(TITLE_KEYS)
                ]
                continue
            if value is None:
                continue
            text = str(value).strip()
            if len(text) > TITLE_KEYS[key]:
                errors[f"{name}.{key}"] = [_("at most %d characters") % TITLE_KEYS[key]]
            elif any(ord(c) < 32 for c in text):
                errors[f"{name}.{key}"] = [_("may not hold control characters")]
            else:
                out[key] = text
        cleaned[name] = out
    if errors:
        raise ValidationError(fields=errors)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    new_fields = []
    for f in current.fields:
        change = cleaned.get(f["name"]) or {}
        updated = dict(f)
        for key, text in change.items():
            if text:
                updated[key] = text
            else:
                updated.pop(key, None)
        if key_diff := {k for k in TITLE_KEYS if updated.get(k) != f.get(k)}:
            before[f["name"]] = {k: f.get(k) for k in sorted(key_diff)}
            after[f["name"]] = {k: updated.get(k) for k in sorted(key_diff)}
        new_fields.append(updated)
    if not after:
        return current
    schema = {**current.schema, "fields": new_fields}
    with transaction.atomic():
        locked = DataResource.objects.select_for_update().get(pk=resource.pk)
        if locked.current_version_id != current.pk:
            raise Conflict(
                _("a new version was loaded meanwhile; reload and try again"), code=CoreError.STALE_VERSION
            )
        ResourceVersion.objects.filter(pk=current.pk).update(schema=schema)
        current.schema = schema
        DataResource.objects.filter(pk=resource.pk).update(search_text=search_text(locked, schema))
        audit.record(
            actor=actor, action="catalog.resource.field_titles", target=resource, before=before, after=after
        )
    return current
