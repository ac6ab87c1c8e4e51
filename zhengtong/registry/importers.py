"""CSV import into the base registries: all or nothing.

Every row is validated first; if any row is bad the report lists each one (row number, field,
reason) and nothing is written. A good file is written in one transaction, so an interrupted
import leaves the registry as it was. Files may be UTF-8 (with or without BOM) or GBK/GB18030.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, ensure_authenticated
from zhengtong.accounts.selectors import departments_by_unit_and_code, org_units_by_code
from zhengtong.audit import services as audit
from zhengtong.core import charset
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.registry.errors import RegistryError
from zhengtong.registry.models import LegalEntity, Licence, LicenceType, Person
from zhengtong.registry.services import clean_legal_entity, clean_person

MAX_ERRORS = 1000

HEADERS: dict[str, dict[str, str]] = {
    "persons": {
        "resident_id": "resident_id",
        "身份证号": "resident_id",
        "公民身份号码": "resident_id",
        "name": "name",
        "姓名": "name",
        "sex": "sex",
        "性别": "sex",
        "birth_date": "birth_date",
        "出生日期": "birth_date",
        "ethnicity": "ethnicity",
        "民族": "ethnicity",
        "phone": "phone",
        "手机号": "phone",
        "手机号码": "phone",
        "address": "address",
        "住址": "address",
        "户籍地址": "address",
        "region_code": "region_code",
        "行政区划代码": "region_code",
    },
    "legal_entities": {
        "uscc": "uscc",
        "统一社会信用代码": "uscc",
        "name": "name",
        "名称": "name",
        "企业名称": "name",
        "entity_type": "entity_type",
        "类型": "entity_type",
        "企业类型": "entity_type",
        "legal_representative": "legal_representative",
        "法定代表人": "legal_representative",
        "legal_rep_resident_id": "legal_rep_resident_id",
        "法定代表人身份证号": "legal_rep_resident_id",
        "registered_address": "registered_address",
        "住所": "registered_address",
        "region_code": "region_code",
        "行政区划代码": "region_code",
        "established_on": "established_on",
        "成立日期": "established_on",
        "registered_capital_fen": "registered_capital_fen",
        "注册资本(分)": "registered_capital_fen",
        "status": "status",
        "登记状态": "status",
    },
    "licences": {
        "licence_type": "licence_type",
        "证照类型": "licence_type",
        "number": "number",
        "证照编号": "number",
        "holder": "holder",
        "持证主体代码": "holder",
        "issuing_department": "issuing_department",
        "发证部门": "issuing_department",
        "region_code": "region_code",
        "行政区划代码": "region_code",
        "valid_from": "valid_from",
        "有效期起": "valid_from",
        "valid_to": "valid_to",
        "有效期止": "valid_to",
    },
}
REQUIRED = {
    "persons": {"resident_id", "name", "region_code"},
    "legal_entities": {
        "uscc",
        "name",
        "entity_type",
        "legal_representative",
        "registered_address",
        "region_code",
    },
    "licences": {"licence_type", "number", "holder", "issuing_department", "region_code", "valid_from"},
}


@dataclass
class RowError:
    row: int  # 1 = the header line
    field: str
    message: str


@dataclass
class ImportReport:
    kind: str
    encoding: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    truncated_errors: bool = False
    committed: bool = False
    sha256: str = ""

    def add(self, row: int, field_name: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field_name, str(message)))
        else:
            self.truncated_errors = True


def decode(raw: bytes) -> tuple[str, str]:
    """Decode as the encoding ``core.charset.detect_encoding`` finds (UTF-8 with or without BOM,
    or GB18030, a superset of GBK, when the text reads like Chinese); returns the text and
    "utf-8", "utf-16" or "gb18030"."""
    try:
        encoding = charset.detect_encoding(raw)
    except charset.UndecodableText:
        raise ValidationError.for_field(
            "file", _("the file is neither UTF-8 nor GBK/GB18030 text"), code=RegistryError.ENCODING
        ) from None
    text = raw.decode(encoding).lstrip("\ufeff")
    return text, {"utf-8-sig": "utf-8"}.get(encoding, encoding)


def _date(value: str, field_name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        raise ValidationError.for_field(field_name, _("must be a date YYYY-MM-DD")) from None


def _clean_row(kind: str, row: dict[str, str], ctx: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Validate one row; returns (key, values) or raises ValidationError naming the field."""
    unit = ctx["units"].get((row.get("region_code") or "").strip())
    if unit is None:
        raise ValidationError.for_field(
            "region_code", _("unknown region code “%s”") % row.get("region_code", "")
        )
    if not can(ctx["actor"], "registry.import", unit):
        raise ValidationError.for_field("region_code", _("region %s is outside your scope") % unit.code)
    if kind == "persons":
        values = clean_person(row)
        values["org_unit"] = unit
        return values["resident_id"], values
    if kind == "legal_entities":
        data = dict(row)
        capital = (data.get("registered_capital_fen") or "").strip()
        if capital:
            if not capital.isdigit():
                raise ValidationError.for_field("registered_capital_fen", _("must be a whole number of fen"))
            data["registered_capital_fen"] = int(capital)
        else:
            data["registered_capital_fen"] = None
        values = clean_legal_entity(data)
        values.update(org_unit=unit, region_code=unit.code)
        return values["uscc"], values
    # licences
    lt = ctx["licence_types"].get(row["licence_type"].strip())
    if lt is None:
        raise ValidationError.for_field("licence_type", _("unknown licence type “%s”") % row["licence_type"])
    dept = ctx["departments"].get((unit.pk, row["issuing_department"].strip()))
    if dept is None:
        raise ValidationError.for_field(
            "issuing_department", _("no department “%s” in this region") % row["issuing_department"]
        )
    holder_code = row["holder"].strip().upper()
    values = {
        "licence_type": lt,
        "number": row["number"].strip(),
        "issuing_department": dept,
        "org_unit": unit,
        "valid_from": _date(row["valid_from"], "valid_from"),
        "valid_to": _date(row["valid_to"], "valid_to") if (row.get("valid_to") or "").strip() else None,
        "holder_person": None,
        "holder_entity": None,
    }
    if not values["number"] or len(values["number"]) > 64:
        raise ValidationError.for_field("number", _("1 to 64 characters"))
    if lt.holder_kind == "person":
        values["holder_person"] = Person.objects.filter(resident_id=holder_code).first()
    else:
        values["holder_entity"] = LegalEntity.objects.filter(uscc=holder_code).first()
    if values["holder_person"] is None and values["holder_entity"] is None:
        raise ValidationError.for_field("holder", _("no %s with this code in the registry") % lt.holder_kind)
    if values["valid_to"] and values["valid_to"] < values["valid_from"]:
        raise ValidationError.for_field("valid_to", _("must not be before valid_from"))
    return f"{lt.code}:{values['number']}", values


MODELS = {
    "persons": (Person, "resident_id"),
    "legal_entities": (LegalEntity, "uscc"),
    "licences": (Licence, None),
}
UPDATE_ACTIONS = {
    "persons": "registry.person.update",
    "legal_entities": "registry.legal_entity.update",
    "licences": "registry.licence.update",
}


def _existing(kind: str, keys: list[str]) -> dict[str, Any]:
    """The records the file would update, by key (with their org units, for the scope check)."""
    model, key_field = MODELS[kind]
    found: dict[str, Any] = {}
    if key_field:
        for start in range(0, len(keys), 2000):
            qs = model.objects.select_related("org_unit").filter(
                **{f"{key_field}__in": keys[start : start + 2000]}
            )
            found.update((getattr(obj, key_field), obj) for obj in qs)
        return found
    numbers = {key.split(":", 1)[1] for key in keys}
    qs = Licence.objects.select_related("licence_type", "org_unit").filter(number__in=numbers)
    return {
        f"{lic.licence_type.code}:{lic.number}": lic
        for lic in qs
        if f"{lic.licence_type.code}:{lic.number}" in keys
    }


def _check_existing_scope(
    actor: Any, existing: dict[str, Any], first_seen: dict[str, int], key_field: str, report: ImportReport
) -> None:
    """An update needs import rights where the record is now, not only where the file puts it."""
    for key, obj in existing.items():
        if not can(actor, "registry.import", obj.org_unit):
            report.add(
                first_seen[key],
                key_field,
                _("a record with this key exists in region %s, outside your scope") % obj.org_unit.code,
            )


def _write(
    actor: Any, kind: str, cleaned: dict[str, dict[str, Any]], existing: dict[str, Any], report: ImportReport
) -> None:
    model, _key_field = MODELS[kind]
    new, changed, fields = [], [], set()
    for key, values in cleaned.items():
        obj = existing.get(key)
        if obj is None:
            new.append(model(**values, **({"state": "valid"} if model is Licence else {})))
            continue
        diff = {f: v for f, v in values.items() if getattr(obj, f) != v}
        if diff:
            before = {f: getattr(obj, f) for f in diff}
            for f, v in diff.items():
                setattr(obj, f, v)
            fields |= set(diff)
            changed.append((obj, before, diff))
    model.objects.bulk_create(new, batch_size=1000)
    if changed:
        model.objects.bulk_update([obj for obj, _b, _d in changed], sorted(fields), batch_size=1000)
        # Each changed record gets its own event with before/after (creations are summarised in
        # the import's own event: count and the file's SHA-256).
        for obj, before, diff in changed:
            audit.record(
                actor=actor,
                action=UPDATE_ACTIONS[kind],
                target=obj,
                before={f: getattr(v, "pk", v) for f, v in before.items()},
                after={f: getattr(v, "pk", v) for f, v in diff.items()},
                note=_("by import"),
            )
    report.created, report.updated = len(new), len(changed)


def registry_import(
    *,
    actor: Any,
    kind: str,
    raw: bytes,
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate and import a CSV file of ``kind`` (persons, legal_entities, licences).

    Returns a report; ``report.committed`` is True only when every row was valid and written.
    The actor needs registry.import at each row's region.
    """
    ensure_authenticated(actor)
    if kind not in HEADERS:
        raise ValidationError.for_field("kind", _("choose one of: %s") % ", ".join(HEADERS))
    if len(raw) > settings.IMPORT_MAX_BYTES:
        raise ValidationError.for_field(
            "file", _("the file is larger than %d bytes") % settings.IMPORT_MAX_BYTES
        )
    report = ImportReport(kind=kind, sha256=hashlib.sha256(raw).hexdigest())
    text, report.encoding = decode(raw)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ValidationError.for_field(
            "file", _("the CSV is malformed: %s") % exc, code=RegistryError.CSV
        ) from None
    if not rows:
        raise ValidationError.for_field("file", _("the file is empty"))
    aliases = HEADERS[kind]
    header = [h.strip() for h in rows[0]]
    columns = []
    for name in header:
        if name not in aliases:
            report.add(
                1,
                name or "(blank)",
                _("unknown column; expected one of %s") % ", ".join(sorted(set(aliases.values()))),
            )
        columns.append(aliases.get(name, name))
    missing = REQUIRED[kind] - set(columns)
    for name in sorted(missing):
        report.add(1, name, _("required column is missing"))
    if report.errors:
        return report
    ctx = {
        "actor": actor,
        "units": org_units_by_code(),
        "licence_types": {lt.code: lt for lt in LicenceType.objects.all()},
        "departments": departments_by_unit_and_code(),
    }
    cleaned: dict[str, dict[str, Any]] = {}
    first_seen: dict[str, int] = {}
    body = rows[1:]
    report.rows = len(body)
    for index, values in enumerate(body, start=2):
        if progress and index % 1000 == 0:
            progress(index - 1, len(body))
        if not any(v.strip() for v in values):
            report.rows -= 1
            continue
        if len(values) != len(columns):
            report.add(
                index,
                "(row)",
                _("has %(got)d fields; the header has %(want)d") % {"got": len(values), "want": len(columns)},
            )
            continue
        row = dict(zip(columns, values, strict=True))
        try:
            key, clean = _clean_row(kind, row, ctx)
        except ValidationError as exc:
            for field_name, messages in (exc.fields or {"(row)": [exc.message]}).items():
                report.add(index, field_name, " ".join(messages))
            continue
        if key in first_seen:
            report.add(index, "(row)", _("duplicates row %d") % first_seen[key])
            continue
        first_seen[key] = index
        cleaned[key] = clean
    if progress:
        progress(len(body), len(body))
    if report.errors:
        return report
    existing = _existing(kind, list(cleaned))
    _check_existing_scope(actor, existing, first_seen, MODELS[kind][1] or "number", report)
    if report.errors:
        return report
    try:
        with transaction.atomic():
            _write(actor, kind, cleaned, existing, report)
            audit.record(
                actor=actor,
                action="registry.import",
                target_type=f"registry.{kind}",
                target_id="",
                target_label=filename[:200],
                after={
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "sha256": report.sha256,
                },
            )
    except IntegrityError:
        # Someone added one of these records between our check and our write: nothing was kept.
        raise Conflict(
            _("the registry changed while the file was imported; nothing was imported, try again")
        ) from None
    report.committed = True
    return report
