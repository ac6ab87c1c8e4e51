"""The query compiler: filters, sort orders, full-text ``q`` and keyset cursors turned into DuckDB
SQL. Identifiers are checked against the schema and quoted; values are always bound parameters,
never spliced into the SQL text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import re
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.store import ROW
from zhengtong.datastore.schema import check_schema

OPS = (
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "contains",
    "startswith",
    "isnull",
    # Datasette's text and date operators (SQLite semantics: LIKE case-insensitive for ASCII,
    # GLOB case-sensitive; date: the value's calendar date)
    "endswith",
    "like",
    "glob",
    "date",
    # Datasette's JSON-array operators on a text column holding JSON arrays (``["a", "b"]``):
    # the array holds the value / does not (a null or non-array cell holds nothing)
    "arraycontains",
    "arraynotcontains",
)
# Facet kinds: a column's values, the calendar date of its values (Datasette's ``_facet_date``),
# the items of the JSON arrays it holds, each counted once per row (``_facet_array``).
FACET_KINDS = ("column", "date", "array")
AGG_OPS = ("count", "sum", "avg", "min", "max")
NUMERIC = {"integer", "number", "year"}
_CURSOR_SALT = "zhengtong.datastore.cursor"


def lit(path: str) -> str:
    """A file path as a SQL string literal (paths come from the storage backend, never from users)."""
    return "'" + path.replace("'", "''") + "'"


def qi(name: str) -> str:
    """A quoted SQL identifier (names are checked against the schema first)."""
    return '"' + name.replace('"', '""') + '"'


def field_map(schema: dict, columns: Iterable[str]) -> dict[str, dict]:
    """The schema's fields that the file has, by name."""
    fields = check_schema(schema)
    present = set(columns)
    return {f["name"]: f for f in fields if f["name"] in present}


def known_field(fields: dict[str, dict], name: Any, what: str) -> dict:
    """The field called ``name``; ValidationError on ``what`` for any other name."""
    if not isinstance(name, str) or name not in fields:
        raise ValidationError.for_field(what, _("unknown field %(name)s") % {"name": str(name)[:100]})
    return fields[name]


_TRUE = {"true", "1", "yes", "on", "t", "是"}
_FALSE = {"false", "0", "no", "off", "f", "否"}


def _coerce(fld: dict, value: Any, what: str) -> Any:
    """A filter value converted to the field's type (never spliced into SQL)."""
    typ = fld.get("type", "string")
    if value is None:
        raise ValidationError.for_field(what, _("needs a value"))
    try:
        if typ in {"integer", "year"}:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            result = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
            if abs(result) > 2**63 - 1:
                raise ValueError
            return result
        if typ == "number":
            if isinstance(value, bool):
                raise ValueError
            result = float(value)
            if result != result or result in (float("inf"), float("-inf")):
                raise ValueError
            return result
        if typ == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if typ == "date":
            return (
                value
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime)
                else dt.date.fromisoformat(str(value))
            )
        if typ == "datetime":
            result = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            return result.replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError.for_field(
            what,
            _("%(value)s is not a valid %(type)s for field %(name)s")
            % {"value": str(value)[:50], "type": typ, "name": fld["name"]},
        ) from None
    if isinstance(value, dict | list | tuple):
        raise ValidationError.for_field(what, _("must be a single value"))
    text = str(value)
    if len(text) > 1000:
        raise ValidationError.for_field(what, _("value is longer than 1000 characters"))
    return text


def where_sql(fields: dict[str, dict], filters, q: str | None) -> tuple[str, list]:
    """`` WHERE ...`` (or "") for ``filters`` and ``q``, and its bound parameters."""
    clauses: list[str] = []
    params: list = []
    for item in filters or []:
        if isinstance(item, dict):
            item = (item.get("field"), item.get("op", "eq"), item.get("value"))
        try:
            name, op, value = item
        except (TypeError, ValueError):
            raise ValidationError.for_field("filters", _("each filter is (field, op, value)")) from None
        fld = known_field(fields, name, "filters")
        col = fld.get("expr") or qi(name)  # "expr": the row number of a file that lacks "_row"
        if fld.get("type") == "any":  # no declared type (export without a schema): compare as text
            col = f"CAST({col} AS VARCHAR)"
        if op not in OPS:
            raise ValidationError.for_field("filters", _("unknown operator %(op)s") % {"op": str(op)[:20]})
        if op == "isnull":
            truth = _coerce(
                {"name": name, "type": "boolean"}, value if value is not None else True, "filters"
            )
            clauses.append(f"{col} IS NULL" if truth else f"{col} IS NOT NULL")
        elif op == "in":
            items = (
                value.split(",")
                if isinstance(value, str)
                else list(value)
                if isinstance(value, list | tuple | set)
                else [value]
            )
            if len(items) > 1000:
                raise ValidationError.for_field("filters", _("in takes at most 1000 values"))
            if not items:
                clauses.append("FALSE")
            else:
                clauses.append(f"{col} IN ({', '.join('?' for _i in items)})")
                params.extend(_coerce(fld, v, "filters") for v in items)
        elif op in {"contains", "startswith", "endswith", "like", "glob"}:
            if isinstance(value, dict | list | tuple) or value is None:
                raise ValidationError.for_field("filters", _("must be a single value"))
            if op == "like":
                clauses.append(f"CAST({col} AS VARCHAR) ILIKE ?")
            elif op == "glob":
                clauses.append(f"CAST({col} AS VARCHAR) GLOB ?")
            else:
                fn = {"contains": "contains", "startswith": "starts_with", "endswith": "ends_with"}[op]
                clauses.append(f"{fn}(CAST({col} AS VARCHAR), ?)")
            params.append(str(value)[:1000])
        elif op == "date":
            try:
                day = dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                raise ValidationError.for_field("filters", _("date takes YYYY-MM-DD")) from None
            clauses.append(f"{date_sql(col)} = ?")
            params.append(day)
        elif op in {"arraycontains", "arraynotcontains"}:
            if isinstance(value, dict | list | tuple) or value is None:
                raise ValidationError.for_field("filters", _("must be a single value"))
            holds = f"coalesce(list_contains({array_sql(col)}, ?), FALSE)"
            clauses.append(holds if op == "arraycontains" else f"NOT {holds}")
            params.append(str(value)[:1000])
        else:
            sql_op = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            clauses.append(f"{col} {sql_op} ?")
            params.append(_coerce(fld, value, "filters"))
    if q:
        if not isinstance(q, str) or len(q) > 200:
            raise ValidationError.for_field("q", _("must be text of at most 200 characters"))
        # a schema can leave a string column out of q (``"searchable": false``: masked codes, ...)
        texts = searchable_fields(fields)
        if texts and re.search(r"[A-Za-z]", q):
            # letters have case: ILIKE with the wildcards of the search text escaped
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(" + " OR ".join(f"{qi(n)} ILIKE ? ESCAPE '\\'" for n in texts) + ")")
            params.extend([pattern] * len(texts))
        elif texts:
            # Chinese, digits, punctuation: no case, a plain substring test is much cheaper
            clauses.append("(" + " OR ".join(f"contains({qi(n)}, ?)" for n in texts) + ")")
            params.extend([q] * len(texts))
        else:
            clauses.append("FALSE")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def date_sql(col: str) -> str:
    """The calendar date of a cell (a date, the date of a timestamp, ISO text; otherwise null)."""
    return f"TRY_CAST({col} AS DATE)"


def array_sql(col: str) -> str:
    """The items of a cell holding a JSON array, as text (null for anything else)."""
    text = f"CAST({col} AS VARCHAR)"
    return (
        f"CASE WHEN json_valid({text}) AND json_type({text}) = 'ARRAY' "
        f"""THEN from_json({text}, '["VARCHAR"]') END"""
    )


def parse_filters(fields: dict[str, dict], filters) -> list[tuple[str, str, Any]]:
    """``filters`` as (field, op, value) with values converted as ``where_sql`` binds them
    (``in``: a list; ``isnull``: a bool). Call ``where_sql`` first: it reports bad input."""
    parsed = []
    for item in filters or []:
        if isinstance(item, dict):
            item = (item.get("field"), item.get("op", "eq"), item.get("value"))
        name, op, value = item
        fld = fields[name]
        if fld.get("type") == "any":
            raise LookupError(name)  # compared as text by DuckDB only
        if op == "isnull":
            value = _coerce(
                {"name": name, "type": "boolean"}, value if value is not None else True, "filters"
            )
        elif op == "in":
            items = (
                value.split(",")
                if isinstance(value, str)
                else list(value)
                if isinstance(value, list | tuple | set)
                else [value]
            )
            value = [_coerce(fld, v, "filters") for v in items]
        elif op in {"contains", "startswith"}:
            value = str(value)[:1000]
        else:
            value = _coerce(fld, value, "filters")
        parsed.append((name, op, value))
    return parsed


def searchable_fields(fields: dict[str, dict]) -> list[str]:
    """The string fields ``q`` searches (a schema can leave one out: ``"searchable": false``)."""
    return [
        n
        for n, f in fields.items()
        if f.get("type", "string") == "string" and f.get("searchable", True) is not False
    ]


def json_value(value: Any) -> Any:
    """A cell as JSON: dates and times as ISO text, decimals as numbers, bytes as base64."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def encode_cursor(payload: dict) -> str:
    """A signed, compressed keyset cursor (clients cannot forge a position)."""
    return signing.dumps(payload, salt=_CURSOR_SALT, compress=True)


def decode_cursor(token: str) -> dict:
    """The payload of a cursor this engine issued; ValidationError on ``after`` otherwise."""
    try:
        payload = signing.loads(token, salt=_CURSOR_SALT)
        if not isinstance(payload, dict):
            raise ValueError
        return payload
    except (signing.BadSignature, ValueError, TypeError):
        raise ValidationError.for_field("after", _("is not a cursor this table issued")) from None


def keyset(
    order: list[tuple[str, str]], values: list, row: int, fields: dict[str, dict], row_sql: str = '"_row"'
) -> tuple[str, list]:
    """Rows strictly after (values, row) in ``order`` (NULLS LAST both ways) then ``_row`` asc.

    ``row_sql`` is the row-number expression: ``"_row"`` (1-based) or DuckDB's
    ``file_row_number`` (0-based, free to read: no column to decode), hence the ``>=``.
    """
    params: list = []

    def after(i: int) -> str:
        if i == len(order):
            params.append(row)
            return f"{row_sql} > ?" if row_sql == qi(ROW) else f"{row_sql} >= ?"
        name, direction = order[i]
        col = qi(name)
        value = values[i]
        if value is None:
            return f"({col} IS NULL AND {after(i + 1)})"
        value = _coerce(fields[name], value, "after")
        cmp = ">" if direction == "asc" else "<"
        params.extend([value])
        head = f"({col} {cmp} ? OR {col} IS NULL"
        params.append(value)
        return f"{head} OR ({col} = ? AND {after(i + 1)}))"

    return after(0), params


def order_spec(sort, fields: dict[str, dict]) -> list[tuple[str, str]]:
    """``sort`` ("-name" or (name, direction) items) as checked (name, asc|desc) pairs."""
    order = []
    for item in sort or []:
        if isinstance(item, str):
            item = (item[1:], "desc") if item.startswith("-") else (item, "asc")
        try:
            name, direction = item
        except (TypeError, ValueError):
            raise ValidationError.for_field("sort", _("each sort is (field, asc|desc)")) from None
        known_field(fields, name, "sort")
        direction = str(direction).lower()
        if direction not in {"asc", "desc"}:
            raise ValidationError.for_field("sort", _("direction must be asc or desc"))
        if name not in [o[0] for o in order]:
            order.append((name, direction))
    if len(order) > 5:
        raise ValidationError.for_field("sort", _("at most 5 sort fields"))
    return order
