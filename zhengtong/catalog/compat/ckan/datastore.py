"""CKAN's datastore_search on the served table of a dataset (filters, q, fields, sort, keyset
pages, records as objects, lists, CSV or TSV)."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

from zhengtong.catalog.compat import common
from zhengtong.catalog.compat.common import as_bool, as_int
from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine import ROW, neutralize

_OPS = {"eq": "eq", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "ne": "ne"}
# CKAN's row id: first in every datastore_search's fields, an int numbering the rows 1..N (here
# the row's position in the version, which never changes).
ID = "_id"
ID_FIELD = {"id": ID, "type": "int"}
_SORT_ITEM = re.compile(r'^\s*"?([^",]+?)"?(?:\s+(asc|desc))?\s*$', re.IGNORECASE)


def _json_param(name: str, value):
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise ValidationError.for_field(name, "must be valid JSON") from None


def _check_field(table, name: str, param: str) -> dict:
    field = table.field(str(name))
    if field is None:
        raise ValidationError.for_field(param, f"unknown field “{name}”")
    return field


def _filters(table, raw) -> list[tuple[str, str, object]]:
    value = _json_param("filters", raw)
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ValidationError.for_field("filters", 'must be a JSON object like {"field": "value"}')
    out = []
    for name, condition in value.items():
        field = _check_field(table, name, "filters")
        if isinstance(condition, list):
            out.append(
                (field["name"], "in", [common.cast_value(field, v, param="filters") for v in condition])
            )
        elif isinstance(condition, dict):
            for op, operand in condition.items():
                if op not in _OPS:
                    raise ValidationError.for_field("filters", f"unknown operator “{op}” for {name}")
                out.append((field["name"], _OPS[op], common.cast_value(field, operand, param="filters")))
        elif condition is None:
            out.append((field["name"], "isnull", True))
        else:
            out.append((field["name"], "eq", common.cast_value(field, condition, param="filters")))
    return out


def _sort(table, raw) -> list[tuple[str, str]]:
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, list) else str(raw).split(",")
    out = []
    for item in items:
        match = _SORT_ITEM.match(str(item))
        if not match:
            raise ValidationError.for_field("sort", f"cannot parse “{item}”: use “field” or “field desc”")
        if match.group(1).strip() == ID:
            if (match.group(2) or "asc").lower() != "asc":
                raise ValidationError.for_field("sort", "_id sorts ascending only (the table's order)")
            break  # row order is the tie-breaker of every sort: nothing after it changes the order
        field = _check_field(table, match.group(1).strip(), "sort")
        out.append((field["name"], (match.group(2) or "asc").lower()))
    return out


def _fields(table, raw) -> list[str] | None:
    if raw in (None, ""):
        return None
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [
        ID
        if str(item).strip().strip('"') == ID
        else _check_field(table, str(item).strip().strip('"'), "fields")["name"]
        for item in items
        if str(item).strip()
    ]


def _datastore_type(field: dict) -> str:
    return {
        "integer": "int",
        "number": "numeric",
        "boolean": "bool",
        "date": "date",
        "datetime": "timestamp",
        "time": "time",
        "year": "int",
    }.get(field.get("type", "string"), "text")


def datastore_search(request, user, data):
    """Rows of a dataset's current version: resource_id, filters, q, fields, sort, limit (≤ 32000),
    offset, include_total, records_format (objects|lists|csv|tsv), next_page (keyset token)."""
    resource = common.resource_get(user, data.get("resource_id") or data.get("id") or "")
    table = common.table_for(user, resource)
    filters = _filters(table, data.get("filters"))
    q = data.get("q")
    q_text = None
    if isinstance(q, str) and q.startswith("{"):
        q = _json_param("q", q)
    if isinstance(q, dict):
        for name, value in q.items():
            field = _check_field(table, name, "q")
            filters.append((field["name"], "contains", str(value)))
    elif q not in (None, ""):
        q_text = str(q)
    sort = _sort(table, data.get("sort"))
    fields = _fields(table, data.get("fields"))
    # CKAN caps limit silently (ckan.datastore.search.rows_max); so do we.
    limit = min(as_int("limit", data.get("limit"), 100, minimum=0), common.datastore_limit_max())
    offset = as_int("offset", data.get("offset"), 0)
    include_total = as_bool("include_total", data.get("include_total"), True)
    records_format = str(data.get("records_format") or "objects")
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise ValidationError.for_field("records_format", "must be objects, lists, csv or tsv")
    if as_bool("distinct", data.get("distinct"), False):
        return _distinct(
            request, resource, table, data, filters, q_text, fields, limit, offset, records_format
        )
    token = data.get("next_page")
    if token is not None and not isinstance(token, str):
        raise ValidationError.for_field("next_page", "must be the token a previous page returned")
    result = common.query(
        table,
        cursor_param="next_page",
        filters=filters,
        sort=sort,
        fields=[n for n in fields if n != ID] if fields else fields,
        row_numbers=True,
        limit=max(limit, 1),
        after=token or None,
        offset=None if token else (offset or None),
        q=q_text,
        count="estimate" if include_total else "none",
    )
    common.count_call(resource)
    names = fields or [ID, *table.field_names]
    rows = result.rows[:limit] if limit else []
    for row in rows:
        row[ID] = row.pop(ROW, None)
    field_meta = _field_meta(table, names)
    if records_format == "objects":
        records = [{n: common.jsonable(row.get(n)) for n in names} for row in rows]
    elif records_format == "lists":
        records = [[common.jsonable(row.get(n)) for n in names] for row in rows]
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
        for row in rows:
            writer.writerow(
                ["" if row.get(n) is None else neutralize(common.jsonable(row.get(n))) for n in names]
            )
        records = buffer.getvalue()
    out = {
        "resource_id": resource.name,
        "fields": field_meta,
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "filters": _json_param("filters", data.get("filters")) or {},
        "sort": ", ".join(f"{f} {d}" for f, d in sort),
        "total_was_estimated": bool(result.total_is_estimate),
        "_links": {"start": _link(request, data, drop=("offset", "next_page"))},
    }
    if q not in (None, ""):
        out["q"] = q
    if include_total:
        out["total"] = result.total
    more = bool(result.next_cursor) or (
        result.total is not None and not result.total_is_estimate and offset + len(rows) < result.total
    )
    if limit and more and len(rows) == limit:
        # Keyset: the cursor the engine returned (deep pages stay fast); offset links too while shallow.
        if result.next_cursor:
            out["next_page"] = result.next_cursor
        if result.next_cursor and (token or offset + limit > 10_000):
            out["_links"]["next"] = _link(
                request, data, drop=("offset",), add={"next_page": result.next_cursor}
            )
        else:
            out["_links"]["next"] = _link(request, data, drop=("next_page",), add={"offset": offset + limit})
    return out


def _field_meta(table, names: list[str]) -> list[dict]:
    return [
        dict(ID_FIELD)
        if n == ID
        else {"id": n, "type": _datastore_type(table.field(n)), "info": _info(table.field(n))}
        for n in names
    ]


def _distinct(request, resource, table, data, filters, q_text, fields, limit, offset, records_format):
    """distinct=true: the distinct combinations of the chosen fields (SELECT DISTINCT), through
    the engine's group-by (at most 5 fields; no _id, which is unique per row)."""
    names = [n for n in (fields or table.field_names) if n != ID]
    if len(names) > 5:
        raise ValidationError.for_field("distinct", "takes at most 5 fields: name them in fields")
    if records_format not in ("objects", "lists"):
        raise ValidationError.for_field("records_format", "distinct returns objects or lists")
    result = common.query(table, filters=filters, q=q_text, limit=0, group_by=names, count="none")
    groups = [{n: common.jsonable(g.get(n)) for n in names} for g in result.aggregates]
    page = groups[offset : offset + limit]
    common.count_call(resource)
    records = page if records_format == "objects" else [[r[n] for n in names] for r in page]
    return {
        "resource_id": resource.name,
        "fields": _field_meta(table, names),
        "records": records,
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "distinct": True,
        "total": len(groups),
        "total_was_estimated": False,
        "_links": {"start": _link(request, data, drop=("offset",))},
    }


def datastore_info(request, user, data):
    """A dataset's datastore table: its fields (with _id first) and row count (id)."""
    resource = common.resource_get(user, data.get("id") or data.get("resource_id") or "")
    table = common.table_for(user, resource)
    total = common.query(table, limit=0, count="exact").total
    return {
        "meta": {"count": total, "id": resource.name, "table_type": "BASE TABLE"},
        "fields": [
            {
                "id": f["id"],
                "type": f["type"],
                "schema": {"native_type": f["type"]},
                "info": f.get("info", {}),
            }
            for f in _field_meta(table, [ID, *table.field_names])
        ],
    }


def _info(field: dict) -> dict:
    info = {"label": field.get("title") or field["name"], "notes": field.get("description", "")}
    for key in ("unit", "grade"):
        if field.get(key):
            info[key] = str(field[key])
    classification = field.get("classification")
    if isinstance(classification, dict):
        classification = classification.get("category")
    if classification:
        info["classification"] = str(classification)
    return info


def _link(request, data, *, drop=(), add=None) -> str:
    params = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v)
        for k, v in data.items()
        if k not in drop
    }
    params.update(add or {})
    return "/api/3/action/datastore_search?" + urlencode(params, doseq=True)
