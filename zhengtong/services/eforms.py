"""E-forms: JSON Schema forms with UI hints, auto-filled from the registries (一证通办).

A form is a JSON Schema object. Each property may carry UI hints:

- ``title`` (Chinese) and ``x-title-en``; ``description`` / ``x-description-en`` (the hint);
- ``x-widget``: "text" (default), "textarea", "select" (from ``enum`` + ``x-enum-labels``), "date",
  "checkbox";
- ``x-source``: where the value comes from, e.g. "person.name", "person.resident_id",
  "entity.uscc", "licence:id_card.number". A value the government holds is filled in, shown
  read-only with its source, and taken from the registry on submission (never from the form).
- ``x-shared``: in a bundle, the field is asked once for all parts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhengtong.accounts.kinds import UserKind
from zhengtong.core.errors import ValidationError
from zhengtong.core.masking import mask_phone, mask_resident_id
from zhengtong.registry import selectors as registry_selectors

# A form's ``x-source`` may name these fields: the ones registry.selectors.holdings_for loads
# (its HOLDINGS_PERSON_FIELDS and HOLDINGS_ENTITY_FIELDS; a test checks they agree).
PERSON_FIELDS = {"name", "resident_id", "sex", "birth_date", "phone", "address", "ethnicity"}
ENTITY_FIELDS = {"name", "uscc", "legal_representative", "registered_address", "entity_type"}
MASKED = {"person.resident_id": mask_resident_id, "person.phone": mask_phone}


@dataclass
class Holdings:
    """What the government already holds about an applicant: registry records and e-licences."""

    person: Any = None
    entity: Any = None
    licences: dict[str, Any] = field(default_factory=dict)  # licence type code -> Licence
    completed_items: set[str] = field(default_factory=set)


def may_apply_as_entity(user, item_code: str) -> bool:
    """Whether an enterprise account may file ``item_code`` for the legal entity it is linked
    to: a live authorisation covering the item, or being the entity's legal representative
    (``registry.selectors.may_act_for``). Other accounts apply for themselves: always True."""
    if getattr(user, "kind", "") != UserKind.ENTERPRISE:
        return True
    entity = registry_selectors.linked_legal_entity(user)
    return entity is not None and registry_selectors.may_act_for(user, entity, item_code)


def holdings_for(user) -> Holdings:
    """The person, the entity and the valid e-licences of both, read through the registry's
    selector (one query when the applicant holds a valid e-licence, three at most)."""
    held = registry_selectors.holdings_for(user)
    return Holdings(person=held.person, entity=held.entity, licences=held.licences)


def _lang_en() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def source_label(source: str) -> str:
    kind = source.split(".", 1)[0]
    if kind == "person":
        return _("population registry")
    if kind == "entity":
        return _("legal-entity registry")
    if kind.startswith("licence:"):
        return _("e-licence: %s") % kind.split(":", 1)[1]
    return source


def resolve_source(source: str, holdings: Holdings) -> Any:
    """The value a source names, or None when the government does not hold it."""
    kind, _sep, attr = source.partition(".")
    if kind == "person" and holdings.person is not None and attr in PERSON_FIELDS:
        value = getattr(holdings.person, attr)
    elif kind == "entity" and holdings.entity is not None and attr in ENTITY_FIELDS:
        value = getattr(holdings.entity, attr)
    elif kind.startswith("licence:"):
        lic = holdings.licences.get(kind.split(":", 1)[1])
        if lic is None:
            return None
        value = lic.data.get(attr) if attr not in {"number", "valid_to", "valid_from"} else getattr(lic, attr)
    else:
        return None
    if isinstance(value, dt.date):
        value = value.isoformat()
    return value if value not in ("", None) else None


def autofill(schema: dict, holdings: Holdings) -> tuple[dict[str, Any], dict[str, str]]:
    """Values filled from the registries and, per field, the source they came from."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, prop in (schema.get("properties") or {}).items():
        source = prop.get("x-source")
        if not source:
            continue
        value = resolve_source(source, holdings)
        if value is not None:
            values[name] = value
            sources[name] = source
    return values, sources


def material_status(materials: list[dict], holdings: Holdings) -> dict[str, dict]:
    """For each material: satisfied by a registry record / an e-licence / another result, or to upload."""
    out: dict[str, dict] = {}
    for m in materials:
        source = m.get("source", "upload")
        status = {"by": "", "ref": ""}
        if source == "population" and holdings.person is not None:
            status = {"by": "population", "ref": str(holdings.person.pk)}
        elif source == "legal_entity" and holdings.entity is not None:
            status = {"by": "legal_entity", "ref": str(holdings.entity.pk)}
        elif source.startswith("licence:") and source.split(":", 1)[1] in holdings.licences:
            lic = holdings.licences[source.split(":", 1)[1]]
            status = {"by": "licence", "ref": str(lic.pk), "number": lic.number}
        elif source.startswith("service:") and source.split(":", 1)[1] in holdings.completed_items:
            status = {"by": "service", "ref": source.split(":", 1)[1]}
        out[m["code"]] = status
    return out


def check_known(schema: dict, raw: dict[str, Any], *, prefix: str = "") -> dict[str, list[str]]:
    """Field errors, one per name the schema does not define: for data that carries only form
    fields (an API's ``data``, a bundle part's fields), where a misspelt name must not be lost
    silently. Not for whole HTML posts (they carry tokens and buttons)."""
    props = schema.get("properties") or {}
    return {prefix + str(name): [_("unknown field")] for name in sorted(raw, key=str) if name not in props}


def coerce(schema: dict, raw: dict[str, Any]) -> dict[str, Any]:
    """Form strings to the schema's types (what does not convert stays, and fails validation).
    Names the schema does not define are dropped: see ``check_known``."""
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        typ = prop.get("type", "string")
        if typ == "boolean":
            data[name] = raw.get(name) in (True, "on", "true", "1", 1)
            continue
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            if typ == "integer":
                with contextlib.suppress(ValueError):
                    value = int(value)
            elif typ == "number":
                with contextlib.suppress(ValueError):
                    value = float(value)
        data[name] = value
    return data


def _message(error: jsonschema.ValidationError, prop: dict) -> str:
    v = error.validator
    if v == "maxLength":
        return _("at most %d characters") % error.validator_value
    if v == "minLength":
        return _("at least %d characters") % error.validator_value
    if v == "pattern":
        return _("does not have the expected format")
    if v == "enum":
        return _("choose one of the options")
    if v == "type":
        return _("must be a %s") % {"integer": _("whole number"), "number": _("number")}.get(
            error.validator_value, error.validator_value
        )
    if v == "minimum":
        return _("must be at least %s") % error.validator_value
    if v == "maximum":
        return _("must be at most %s") % error.validator_value
    if v == "format":
        return _("is not a valid %s") % error.validator_value
    return _("is not valid")


def validate(schema: dict, data: dict[str, Any], *, prefix: str = "") -> None:
    """Raise ValidationError with one message per field (names as in the form)."""
    errors: dict[str, list[str]] = {}
    props = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in data or data[name] in ("", None, False):
            errors.setdefault(prefix + name, []).append(_("is required"))
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema.Draft202012Validator({**schema, "required": []}, format_checker=checker)
    for err in validator.iter_errors(data):
        name = str(err.path[0]) if err.path else ""
        if not name:
            continue
        errors.setdefault(prefix + name, []).append(_message(err, props.get(name, {})))
    unknown = set(data) - set(props)
    for name in sorted(unknown):
        errors.setdefault(prefix + name, []).append(_("is not a field of this form"))
    if errors:
        raise ValidationError(fields=errors)


def fields_for_render(
    schema: dict,
    *,
    values: dict[str, Any],
    sources: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    prefix: str = "",
    skip: set[str] | None = None,
) -> list[dict]:
    """What the template needs per field, in schema order (labels in the active language)."""
    en = _lang_en()
    errors = errors or {}
    out = []
    required = set(schema.get("required") or [])
    for name, prop in (schema.get("properties") or {}).items():
        if skip and name in skip:
            continue
        label = (prop.get("x-title-en") if en else None) or prop.get("title") or name
        hint = (prop.get("x-description-en") if en else None) or prop.get("description", "")
        enum = prop.get("enum") or []
        labels = prop.get("x-enum-labels-en" if en else "x-enum-labels") or prop.get("x-enum-labels") or enum
        widget = prop.get("x-widget") or (
            "select" if enum else "checkbox" if prop.get("type") == "boolean" else "text"
        )
        value = values.get(name, "")
        source = sources.get(name, "")
        display = MASKED[source](value) if source in MASKED and value else value
        fid = "f_" + (prefix + name).replace(".", "_")
        described = [f"{fid}_src"] if source else []
        described += [f"{fid}_hint"] if hint else []
        described += [f"{fid}_error"] if errors.get(prefix + name) else []
        out.append(
            {
                "name": prefix + name,
                "id": fid,
                "describedby": " ".join(described),
                "label": label,
                "hint": hint,
                "widget": widget,
                "value": value,
                "display": display,
                "required": name in required,
                "readonly": bool(source),
                "source": source_label(source) if source else "",
                "choices": list(zip(enum, labels, strict=False)),
                "errors": errors.get(prefix + name, []),
                "maxlength": prop.get("maxLength"),
                "input_type": "date" if prop.get("format") == "date" else "text",
            }
        )
    return out


def label_of(material: dict) -> str:
    return (material.get("name_en") if _lang_en() else None) or material.get("name", material.get("code", ""))
