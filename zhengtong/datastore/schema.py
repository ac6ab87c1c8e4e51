"""Frictionless Table Schema: inference from string columns and vectorised validation.

Types: string, integer, number, boolean, date, datetime, time, year, geopoint, any. Constraints:
required, unique, enum, pattern, minimum, maximum, minLength, maxLength.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError

TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "time", "year", "geopoint", "any")

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us"),
    "time": pa.string(),
    "year": pa.int32(),
    "geopoint": pa.string(),
    "any": pa.string(),
}

TRUE_VALUES = ["true", "True", "TRUE", "yes", "Yes", "YES", "是"]
FALSE_VALUES = ["false", "False", "FALSE", "no", "No", "NO", "否"]

_RE = {
    "integer": r"^[+-]?\d{1,18}$",
    "number": r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "date_slash": r"^\d{4}/\d{1,2}/\d{1,2}$",
    "date_cn": r"^\d{4}年\d{1,2}月\d{1,2}日$",
    "datetime": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$",
    "time": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$",
    "year": r"^\d{4}$",
    "geopoint": r"^\s*[+-]?\d{1,3}(\.\d+)?\s*,\s*[+-]?\d{1,2}(\.\d+)?\s*$",
}

DATE_FORMATS = {"default": "%Y-%m-%d", "slash": "%Y/%m/%d", "cn": "%Y年%m月%d日"}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    rule: str
    message: str


class RowErrors(list):
    """The first ``max_errors`` errors; ``total`` counts all of them."""

    total: int = 0


def _strings(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
        col = pc.cast(col, pa.string())
    return col


def _all_match(col, pattern: str) -> bool:
    valid = col.drop_null() if hasattr(col, "drop_null") else pc.drop_null(col)
    if len(valid) == 0:
        return False
    return bool(pc.all(pc.match_substring_regex(valid, pattern)).as_py())


# --------------------------------------------------------------------------------------- infer


def _infer_arrow(name: str, typ: pa.DataType) -> dict | None:
    if pa.types.is_boolean(typ):
        return {"type": "boolean"}
    if pa.types.is_integer(typ):
        return {"type": "integer"}
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return {"type": "number"}
    if pa.types.is_date(typ):
        return {"type": "date"}
    if pa.types.is_timestamp(typ):
        return {"type": "datetime"}
    return None


def _candidate(name: str, col) -> dict:
    """Type of one string column (or a sample of it)."""
    values = pc.drop_null(col)
    if len(values) == 0:
        return {"type": "string"}
    if bool(pc.all(pc.is_in(values, pa.array(TRUE_VALUES + FALSE_VALUES))).as_py()):
        return {"type": "boolean"}
    lname = name.lower()
    if _all_match(values, _RE["integer"]):
        lengths = pc.utf8_length(values)
        same_len = pc.min(lengths).as_py() == pc.max(lengths).as_py()
        leading_zero = bool(pc.any(pc.match_substring_regex(values, r"^[+-]?0\d")).as_py())
        if leading_zero or (same_len and pc.min(lengths).as_py() >= 6):
            return {"type": "string"}  # codes (region, phone, ID): keep their digits as text
        if ("year" in lname or "年" in name) and _all_match(values, _RE["year"]):
            return {"type": "year"}
        return {"type": "integer"}
    if _all_match(values, _RE["number"]):
        return {"type": "number"}
    if _all_match(values, _RE["date"]):
        return {"type": "date", "format": "default"}
    if _all_match(values, _RE["date_slash"]):
        return {"type": "date", "format": "%Y/%m/%d"}
    if _all_match(values, _RE["date_cn"]):
        return {"type": "date", "format": "%Y年%m月%d日"}
    if _all_match(values, _RE["datetime"]):
        return {"type": "datetime", "format": "default"}
    if _all_match(values, _RE["time"]):
        return {"type": "time", "format": "default"}
    if _all_match(values, _RE["geopoint"]):
        return {"type": "geopoint", "format": "default"}
    return {"type": "string"}


def infer_schema(table: pa.Table, *, sample_rows: int = 20_000) -> dict:
    """A Frictionless Table Schema for ``table`` (string columns typed from their values).

    The type is guessed on a sample, then confirmed on the whole column by validating it; a
    column that fails falls back to "string", so the schema always validates its own table.
    """
    fields = []
    for name in table.column_names:
        if name == "_row":
            continue
        col = table[name]
        guess = _infer_arrow(name, col.type)
        if guess is None:
            col = _strings(col)
            sample = col.slice(0, sample_rows) if len(col) > sample_rows else col
            guess = _candidate(name, sample)
            if guess["type"] != "string" and len(col) > sample_rows:
                _typed, bad = _cast_column(col, {"name": name, **guess})
                if bad is not None and bool(pc.any(bad).as_py()):
                    guess = _candidate(name, col)
        field = {"name": name, "title": name, "type": guess["type"], "format": guess.get("format", "default")}
        field["constraints"] = {}
        fields.append(field)
    return {"fields": fields, "missingValues": [""], "primaryKey": []}


# --------------------------------------------------------------------------------------- cast


def _date_format(fmt: str | None) -> str | None:
    if not fmt or fmt == "default":
        return "%Y-%m-%d"
    if fmt == "any":
        return None
    return fmt


def _strptime_date(text: str, formats: list[str]):
    for f in formats:
        try:
            return dt.datetime.strptime(text, f).date()
        except ValueError:
            continue
    return None


def _parse_dates(strings, pyfmt: str | None):
    """Dates parsed with Python's strptime over the distinct values (few, even in big tables)."""
    formats = [pyfmt] if pyfmt else list(DATE_FORMATS.values())
    uniques = pc.unique(strings).drop_null()
    if pyfmt:  # Arrow parses in C what prints back the same; strptime settles only the rest
        try:
            stamps = pc.strptime(uniques, format=pyfmt, unit="s", error_is_null=True)
            same = pc.fill_null(pc.equal(pc.strftime(stamps, format=pyfmt), uniques), False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            same = None
        if same is not None:
            dates = pc.cast(stamps, pa.date32())
            if pc.all(same).as_py():
                return pc.take(dates, pc.index_in(strings, value_set=uniques))
            parsed = dates.to_pylist()
            for i in pc.indices_nonzero(pc.invert(same)).to_pylist():
                parsed[i] = _strptime_date(uniques[i].as_py(), formats)
            lookup = pa.array(parsed, pa.date32())
            return pc.take(lookup, pc.index_in(strings, value_set=uniques))
    parsed = [_strptime_date(text, formats) for text in uniques.to_pylist()]
    lookup = pa.array(parsed, pa.date32())
    return pc.take(lookup, pc.index_in(strings, value_set=uniques))


def _cast_column(col, field: dict):
    """(typed column, mask of values that failed the type or None)."""
    typ = field.get("type", "string")
    fmt = field.get("format")
    strings = _strings(col)
    present = pc.is_valid(strings)
    if typ in {"string", "any"}:
        return strings, None
    if typ in {"integer", "year"}:
        ok = pc.match_substring_regex(strings, _RE["integer"])
        clean = pc.if_else(ok, strings, pa.scalar(None, pa.string()))
        typed = pc.cast(clean, pa.int64())
        if typ == "year":
            ok = pc.and_(ok, pc.and_(pc.greater_equal(typed, 1), pc.less_equal(typed, 9999)))
            typed = pc.cast(pc.if_else(ok, typed, pa.scalar(None, pa.int64())), pa.int32())
    elif typ == "number":
        ok = pc.match_substring_regex(strings, _RE["number"])
        clean = pc.if_else(ok, strings, pa.scalar(None, pa.string()))
        typed = pc.cast(clean, pa.float64())
    elif typ == "boolean":
        trues = pa.array(field.get("trueValues") or TRUE_VALUES)
        falses = pa.array(field.get("falseValues") or FALSE_VALUES)
        is_true = pc.is_in(strings, trues)
        ok = pc.or_(is_true, pc.is_in(strings, falses))
        typed = pc.if_else(ok, is_true, pa.scalar(None, pa.bool_()))
    elif typ == "date":
        typed = _parse_dates(strings, _date_format(fmt))
        ok = pc.is_valid(typed)
    elif typ == "datetime":
        pyfmt = None if not fmt or fmt in {"default", "any"} else fmt
        if pyfmt:
            typed = pc.strptime(strings, format=pyfmt, unit="us", error_is_null=True)
        else:
            ok_re = pc.match_substring_regex(strings, _RE["datetime"])
            norm = pc.replace_substring_regex(strings, r"(Z|[+-]\d{2}:?\d{2})$", "")
            norm = pc.replace_substring(norm, "T", " ")
            norm = pc.if_else(
                pc.match_substring_regex(norm, r" \d{2}:\d{2}$"),
                pc.binary_join_element_wise(norm, ":00", ""),
                norm,
            )
            norm = pc.replace_substring_regex(norm, r"\.\d+$", "")
            typed = pc.strptime(norm, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
            # Arrow rolls 02-30 over to March: a real date formats back to the same text
            same = pc.equal(pc.strftime(pc.cast(typed, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S"), norm)
            typed = pc.if_else(
                pc.and_(ok_re, pc.fill_null(same, False)), typed, pa.scalar(None, pa.timestamp("us"))
            )
        ok = pc.is_valid(typed)
    elif typ == "time":
        ok = pc.match_substring_regex(strings, _RE["time"])
        typed = strings
    elif typ == "geopoint":
        ok = pc.match_substring_regex(strings, _RE["geopoint"])
        typed = strings
    else:
        raise ValidationError.for_field(
            "schema", _("field %(name)s has unknown type %(type)s") % {"name": field.get("name"), "type": typ}
        )
    ok = pc.fill_null(ok, False)
    bad = pc.and_(present, pc.invert(ok))
    typed = pc.if_else(bad, pa.scalar(None, typed.type), typed)
    return typed, bad


def _scalar_for(field: dict, value, what: str):
    """A constraint value (minimum, enum item) converted to the field's Arrow type."""
    typ = field.get("type", "string")
    try:
        if typ in {"integer", "year"}:
            return int(value)
        if typ == "number":
            return float(value)
        if typ == "boolean":
            return value if isinstance(value, bool) else str(value) in TRUE_VALUES
        if typ == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if typ == "datetime":
            return (
                value
                if isinstance(value, dt.datetime)
                else dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
            )
        return str(value)
    except (TypeError, ValueError):
        raise ValidationError.for_field(
            "schema",
            _("%(what)s of field %(name)s is not a valid %(type)s")
            % {"what": what, "name": field["name"], "type": typ},
        ) from None


# --------------------------------------------------------------------------------------- validate

_MESSAGES = {
    "type": lambda f: _("is not a valid %(type)s") % {"type": f.get("type")},
    "required": lambda f: _("is required"),
    "unique": lambda f: _("repeats a value of an earlier row (must be unique)"),
    "enum": lambda f: _("is not one of the allowed values"),
    "pattern": lambda f: _("does not match the pattern"),
    "minimum": lambda f: _("is below the minimum %(v)s") % {"v": f["constraints"]["minimum"]},
    "maximum": lambda f: _("is above the maximum %(v)s") % {"v": f["constraints"]["maximum"]},
    "minLength": lambda f: _("is shorter than %(v)s characters") % {"v": f["constraints"]["minLength"]},
    "maxLength": lambda f: _("is longer than %(v)s characters") % {"v": f["constraints"]["maxLength"]},
}


def check_schema(schema: dict) -> list[dict]:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list) or not schema["fields"]:
        raise ValidationError.for_field("schema", _("must have a non-empty list of fields"))
    names = set()
    for field in schema["fields"]:
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
            raise ValidationError.for_field("schema", _("every field needs a name"))
        if field["name"] in names:
            raise ValidationError.for_field(
                "schema", _("field %(name)s appears twice") % {"name": field["name"]}
            )
        if field["name"].startswith("_"):
            raise ValidationError.for_field(
                "schema", _("field %(name)s may not start with an underscore") % {"name": field["name"]}
            )
        if field.get("type", "string") not in TYPES:
            raise ValidationError.for_field(
                "schema",
                _("field %(name)s has unknown type %(type)s")
                % {"name": field["name"], "type": field.get("type")},
            )
        names.add(field["name"])
    return schema["fields"]


def validate(table: pa.Table, schema: dict, *, max_errors: int = 1000) -> tuple[pa.Table, list[RowError]]:
    """Cast ``table`` to the declared types and check the constraints, all column-at-a-time.

    Returns (typed table in schema order, errors). Cells that fail their type are null in the
    typed table. Errors are capped at ``max_errors``; ``errors.total`` counts all of them.
    Row 1 is the first data row. A field missing from the file, or a column not in the schema,
    is reported with row 0.
    """
    fields = check_schema(schema)
    errors = RowErrors()
    total = 0

    def add(mask, field: dict, rule: str) -> None:
        nonlocal total
        mask = pc.fill_null(mask, False)
        count = pc.sum(pc.cast(mask, pa.int64())).as_py() or 0
        if not count:
            return
        total += count
        room = max_errors - len(errors)
        if room <= 0:
            return
        rows = pc.indices_nonzero(mask if isinstance(mask, pa.Array) else mask.combine_chunks())
        message = _MESSAGES[rule](field)
        for idx in rows.slice(0, room).to_pylist():
            errors.append(RowError(row=idx + 1, field=field["name"], rule=rule, message=message))

    declared = {f["name"] for f in fields}
    for name in table.column_names:
        if name not in declared and name != "_row":
            total += 1
            if len(errors) < max_errors:
                errors.append(RowError(0, name, "extra_field", _("the column is not in the schema")))
    arrays = {}
    n = table.num_rows
    for field in fields:
        name = field["name"]
        typ = field.get("type", "string")
        cons = field.get("constraints") or {}
        if name not in table.column_names:
            total += 1
            if len(errors) < max_errors:
                errors.append(RowError(0, name, "missing_field", _("the column is missing from the file")))
            arrays[name] = pa.nulls(n, ARROW_TYPES.get(typ, pa.string()))
            continue
        col = table[name]
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        missing = field.get("missingValues", schema.get("missingValues", [""]))
        if pa.types.is_string(col.type) and missing:
            col = pc.if_else(
                pc.is_in(col, pa.array([str(m) for m in missing])), pa.scalar(None, pa.string()), col
            )
        if _infer_arrow(name, col.type) is not None and _infer_arrow(name, col.type)["type"] == typ:
            typed, bad = pc.cast(col, ARROW_TYPES[typ]), None
        else:
            typed, bad = _cast_column(col, field)
        if bad is not None:
            add(bad, field, "type")
        if cons.get("required"):
            add(pc.is_null(typed), field, "required")
        if cons.get("unique"):
            counts = pc.value_counts(typed)
            dup_values = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
            if len(dup_values):
                mask = pc.is_in(typed, dup_values)
                # flag every occurrence after the first
                idx = pa.array(range(n), pa.int64())
                t = pa.table({"v": typed, "i": idx}).filter(mask)
                first = t.group_by("v").aggregate([("i", "min")])
                firsts = first["i_min"]
                later = pc.and_(mask, pc.invert(pc.is_in(idx, firsts)))
                add(later, field, "unique")
        if "enum" in cons and cons["enum"] is not None:
            allowed = pa.array([_scalar_for(field, v, "enum") for v in cons["enum"]], typed.type)
            add(pc.and_(pc.is_valid(typed), pc.invert(pc.is_in(typed, allowed))), field, "enum")
        if cons.get("pattern"):
            try:
                re.compile(cons["pattern"])
                matched = pc.match_substring_regex(_strings(typed), f"^(?:{cons['pattern']})$")
            except (re.error, pa.ArrowInvalid):
                raise ValidationError.for_field(
                    "schema", _("the pattern of field %(name)s is not valid") % {"name": name}
                ) from None
            add(pc.invert(matched), field, "pattern")
        for rule, op in (("minimum", pc.less), ("maximum", pc.greater)):
            if cons.get(rule) is not None:
                bound = pa.scalar(_scalar_for(field, cons[rule], rule), typed.type)
                add(op(typed, bound), field, rule)
        for rule, op in (("minLength", pc.less), ("maxLength", pc.greater)):
            if cons.get(rule) is not None:
                try:
                    length = int(cons[rule])
                except (TypeError, ValueError):
                    raise ValidationError.for_field(
                        "schema",
                        _("%(rule)s of field %(name)s must be a number") % {"rule": rule, "name": name},
                    ) from None
                add(op(pc.utf8_length(_strings(typed)), length), field, rule)
        arrays[name] = typed
    errors.total = total
    typed_table = pa.table(arrays)
    return typed_table, errors
