"""Datasette-style table JSON: ``/data/<name>.json`` (and ``/data/<name>/<version>.json``).

Shape of Datasette 0.65's table JSON (``rows``, ``columns``, ``next``, ``next_url``,
``facet_results``, ``filtered_table_rows_count`` ...), its parameters (``_shape``, ``_size``,
``_sort``, ``_sort_desc``, ``_facet``, ``_facet_date``, ``_facet_array``, ``_facet_size``,
``_col``, ``_nocol``, ``_next``, ``_search``, ``_nocount``) and ``col__op=value`` filters,
``rowid`` comparisons among them. Errors: ``{"ok": false, "error",
"status": 400, "title"}``. ``/data/<name>.csv`` streams the public export.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse

from zhengtong.core.access import public
from zhengtong.core.errors import (
    AuthenticationRequired,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
    ZhengtongError,
    retry_after_header,
)
from zhengtong.datastore import engine

from . import common

OPS = {
    "exact": "eq",
    "not": "ne",
    "gt": "gt",
    "gte": "gte",
    "lt": "lt",
    "lte": "lte",
    "contains": "contains",
    "startswith": "startswith",
    "endswith": "endswith",
    "like": "like",
    "glob": "glob",
    "date": "date",
    "in": "in",
    "notin": "notin",
    "isnull": "isnull",
    "notnull": "notnull",
    "arraycontains": "arraycontains",
    "arraynotcontains": "arraynotcontains",
}
# rowid (the row's number) takes the comparisons of a number.
ROWID_OPS = {"exact", "not", "gt", "gte", "lt", "lte", "in", "notin", "isnull", "notnull"}
# Facet parameters and their kinds, in Datasette's order (column, date, array facets).
FACET_PARAMS = (("_facet", "column"), ("_facet_date", "date"), ("_facet_array", "array"))
# The filter a facet value toggles.
FACET_FILTER = {"column": "", "date": "__date", "array": "__arraycontains"}
# Date and array suggestions look at the first rows of the selection, as Datasette does.
SUGGEST_SAMPLE_ROWS = 100
# Datasette parameters accepted and ignored (they change nothing here).
IGNORED = {
    "_nofacet",
    "_nosuggest",
    "_labels",
    "_nolabels",
    "_ttl",
    "_timelimit",
    "_trace",
    "_json",
    "_extra",
    "_nl",
}
# Datasette's implicit row id of a table without a primary key: here the row's position in the
# version (1..N), which never changes.
ROWID = "rowid"
# Suggested facets: columns with 2..30 distinct values on at most this many candidate columns.
SUGGEST_MAX_COLUMNS = 10
SUGGEST_MAX_VALUES = 30
STATUS = {
    NotFound: 404,
    ValidationError: 400,
    PermissionDenied: 403,
    AuthenticationRequired: 403,
    RateLimited: 429,
}


def _error(
    message: str, status: int = 400, title: str = "Invalid request", headers: dict | None = None
) -> JsonResponse:
    return JsonResponse(
        {"ok": False, "error": message, "status": status, "title": title},
        status=status,
        json_dumps_params={"ensure_ascii": False},
        headers=headers,
    )


@public
def table_json(request, name: str, version: int | None = None):
    started = time.perf_counter()
    if request.method not in ("GET", "HEAD"):
        return _error("only GET is supported", 405, "Method not allowed")
    try:
        user = common.request_user(request)
        common.rate_limit(request, user)
        resource = common.resource_get(user, name)
        table = common.table_for(user, resource, version_number=version)
        body, headers = _table(request, resource, table, started)
    except ZhengtongError as exc:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        return _error(exc.message, status, headers=retry_after_header(exc))
    common.count_call(resource)
    response = JsonResponse(body, safe=False, json_dumps_params={"ensure_ascii": False})
    for key, value in headers.items():
        response[key] = value
    return response


def _params(request) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    special: dict[str, list[str]] = {}
    filters = []
    for key, values in request.GET.lists():
        if key.startswith("_"):
            special[key] = values
            continue
        column, sep, op = key.rpartition("__")
        if not sep:
            column, op = key, "exact"
        for value in values:
            filters.append((column, op, value))
    return special, filters


def _one(special, key) -> str | None:
    values = special.get(key)
    return values[-1] if values else None


def _table(request, resource, table, started):
    special, raw_filters = _params(request)
    searches = []
    for key in list(special):
        # _search_<column>: search one column only
        if key.startswith("_search_") and table.field(key[len("_search_") :]) is not None:
            searches.append((key[len("_search_") :], special.pop(key)[-1]))
    for key in special:
        if key not in IGNORED and key not in {
            "_shape",
            "_size",
            "_sort",
            "_sort_desc",
            "_facet",
            "_facet_date",
            "_facet_array",
            "_facet_size",
            "_col",
            "_nocol",
            "_next",
            "_search",
            "_nocount",
            "_where",
        }:
            raise ValidationError.for_field(key, f"unknown parameter {key}")
    if "_where" in special:
        raise ValidationError.for_field(
            "_where", "_where (raw SQL) is not supported; use col__op=value filters"
        )
    shape = _one(special, "_shape") or "arrays"
    if shape not in ("objects", "arrays", "array", "object"):
        raise ValidationError.for_field(
            "_shape", f"_shape={shape} is not one of objects, arrays, array, object"
        )
    size = _size(special)
    filters = []
    no_rows = False
    for column, value in searches:
        filters.append((column, "contains", value))
    for column, op, value in raw_filters:
        if column == ROWID and table.field(ROWID) is None:
            filters.extend(_rowid_filter(op, value))
            continue
        field = table.field(column)
        if field is None:
            # Datasette: a filter on a column the table lacks matches nothing (200, no rows).
            no_rows = True
            continue
        if op not in OPS:
            raise ValidationError.for_field(f"{column}__{op}", f"unknown filter operation “{op}”")
        engine_op = OPS[op]
        if engine_op in ("isnull", "notnull"):
            flag = common.as_bool(f"{column}__{op}", value or "1", True)
            filters.append((field["name"], "isnull", flag if engine_op == "isnull" else not flag))
        elif engine_op in ("in", "notin"):
            try:
                items = json.loads(value) if value.startswith("[") else value.split(",")
            except (ValueError, RecursionError):
                items = None
            if not isinstance(items, list):
                raise ValidationError.for_field(f"{column}__{op}", "must be a comma list or a JSON list")
            cast = [common.cast_value(field, v, param=f"{column}__{op}") for v in items]
            if engine_op == "in":
                filters.append((field["name"], "in", cast))
            else:
                filters.extend((field["name"], "ne", v) for v in cast)
        elif engine_op in ("contains", "startswith", "endswith", "like", "glob", "date"):
            filters.append((field["name"], engine_op, value))
        else:
            filters.append(
                (field["name"], engine_op, common.cast_value(field, value, param=f"{column}__{op}"))
            )
    sort = []
    sort_asc, sort_desc = _one(special, "_sort"), _one(special, "_sort_desc")
    if sort_asc and sort_desc:
        raise ValidationError.for_field("_sort", "cannot use _sort and _sort_desc at the same time")
    for key, direction in (("_sort", "asc"), ("_sort_desc", "desc")):
        column = _one(special, key)
        if column == ROWID:
            if direction == "desc":
                raise ValidationError.for_field(key, "rowid sorts ascending only here (the table's order)")
            continue  # row order is every sort's last key
        if column:
            if table.field(column) is None:
                raise ValidationError.for_field(key, f"cannot sort table by {column}: no such column")
            sort.append((column, direction))
    columns = list(table.field_names)
    if "_col" in special:
        wanted = [c for v in special["_col"] for c in v.split(",") if c]
        for c in wanted:
            if table.field(c) is None:
                raise ValidationError.for_field("_col", f"no such column: {c}")
        columns = [c for c in columns if c in wanted]
    if "_nocol" in special:
        unwanted = [c for v in special["_nocol"] for c in v.split(",") if c]
        for c in unwanted:
            if table.field(c) is None:
                raise ValidationError.for_field("_nocol", f"no such column: {c}")
        columns = [c for c in columns if c not in unwanted]
    facets = []  # (kind, column)
    for param, kind in FACET_PARAMS:
        for value in special.get(param, []):
            if table.field(value) is None:
                raise ValidationError.for_field(param, f"no such column: {value}")
            if (kind, value) not in facets:
                facets.append((kind, value))
    facet_size = common.as_int("_facet_size", _one(special, "_facet_size"), 30, minimum=1, maximum=1000)
    nocount = common.as_bool("_nocount", _one(special, "_nocount"), False)
    if no_rows and table.fields:
        filters.append((table.fields[0]["name"], "in", []))
    result = common.query(
        table,
        cursor_param="_next",
        filters=filters,
        sort=sort,
        fields=columns,
        limit=size,
        after=_one(special, "_next") or None,
        q=_one(special, "_search") or None,
        facets=[column if kind == "column" else (kind, column) for kind, column in facets],
        facet_size=min(facet_size + 1, 1000),  # one more: Datasette's "truncated"
        count="none" if nocount else "estimate",
        row_numbers=True,
    )
    rows = result.rows[:size] if size else []
    for row in rows:
        row[ROWID] = row.pop(engine.ROW, None)
    next_token = result.next_cursor if size and len(rows) == size else None
    next_url = None
    if next_token:
        params = [(k, v) for k, vs in request.GET.lists() for v in vs if k != "_next"]
        params.append(("_next", next_token))
        next_url = request.build_absolute_uri(request.path + "?" + urlencode(params))
    headers = {}
    if next_url and shape != "objects" and shape != "arrays":
        headers["Link"] = f'<{next_url}>; rel="next"'
    # A rowid table: Datasette puts rowid first in every row and in columns.
    columns = [ROWID, *columns]
    if shape == "array":
        return [{c: common.jsonable(row.get(c)) for c in columns} for row in rows], headers
    if shape == "object":
        # Datasette 0.65 keys _shape=object by primary key and answers a rowid table (ours: every
        # table) with this error, status 200 (recorded).
        return {"ok": False, "error": "_shape=object not available for tables with no primary keys"}, headers
    # the engine's rows are JSON-ready already (engine.json_value on both engines' paths)
    if shape == "objects":
        out_rows = [{c: row.get(c) for c in columns} for row in rows]
    else:
        out_rows = [[row.get(c) for c in columns] for row in rows]
    facet_results = {}
    for kind, column in facets:
        # Datasette leaves null out of every facet kind
        entries = [
            e
            for e in result.facets.get(engine.facet_key(column if kind == "column" else (kind, column)), [])
            if e[0] is not None
        ]
        key, i = column, 1
        while key in facet_results:  # Datasette: a second facet on one column is "<column>_2"
            i += 1
            key = f"{column}_{i}"
        facet_results[key] = {
            "name": column,
            "type": kind,
            "hideable": True,
            "toggle_url": _without(
                request, FACET_PARAMS[[k for _p, k in FACET_PARAMS].index(kind)][0], column
            ),
            "results": [
                {
                    "value": value,
                    "label": value,
                    "count": count,
                    "toggle_url": _toggle_url(request, column + FACET_FILTER[kind], value, selected),
                    "selected": selected,
                }
                for raw, count in entries[:facet_size]
                for value in [common.jsonable(raw) if kind == "column" else str(raw)]
                for selected in [_facet_selected(request, kind, column, value, filters)]
            ],
            "truncated": len(entries) > facet_size,
        }
    suggested = (
        []
        if "_nosuggest" in special or _one(special, "_next") or not settings.CATALOG_DATASETTE_SUGGEST_FACETS
        else _suggested_facets(request, table, filters, facets, _one(special, "_search") or None)
    )
    body = {
        "ok": True,
        "database": "data",
        "table": resource.name,
        "version": table.number,
        "is_view": False,
        "human_description_en": _describe(filters, sort),
        "rows": out_rows,
        "truncated": False,
        "filtered_table_rows_count": result.total,
        "count_is_estimate": bool(result.total_is_estimate),
        "expanded_columns": [],
        "expandable_columns": [],
        "columns": columns,
        "primary_keys": [],
        "units": {f["name"]: f["unit"] for f in table.fields if f.get("unit")},
        "query": {"sql": "", "params": {}},
        "facet_results": facet_results,
        "suggested_facets": suggested,
        "next": next_token,
        "next_url": next_url,
        "private": False,
        "allow_execute_sql": False,
        "query_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    return body, headers


def _size(special) -> int:
    size_text = _one(special, "_size")
    if size_text == "max":
        return common.DATASETTE_SIZE_MAX
    # _size=0: no rows, the count only (Datasette 0.65).
    return common.as_int("_size", size_text, 100, minimum=0, maximum=common.DATASETTE_SIZE_MAX)


def _rowid_filter(op: str, value: str) -> list[tuple[str, str, object]]:
    """``rowid__op=value`` as filters on the engine's row number."""
    if op not in ROWID_OPS:
        raise ValidationError.for_field(f"{ROWID}__{op}", f"rowid takes {', '.join(sorted(ROWID_OPS))}")
    param = f"{ROWID}__{op}" if op != "exact" else ROWID
    field = {"name": ROWID, "type": "integer"}
    if op in ("isnull", "notnull"):
        flag = common.as_bool(param, value or "1", True)
        return [(engine.ROW, "isnull", flag if op == "isnull" else not flag)]
    if op in ("in", "notin"):
        try:
            items = json.loads(value) if value.startswith("[") else value.split(",")
        except (ValueError, RecursionError):
            items = None
        if not isinstance(items, list):
            raise ValidationError.for_field(param, "must be a comma list or a JSON list")
        numbers = [common.cast_value(field, v, param=param) for v in items]
        if op == "in":
            return [(engine.ROW, "in", numbers)]
        return [(engine.ROW, "ne", n) for n in numbers]
    return [(engine.ROW, OPS[op], common.cast_value(field, value, param=param))]


def _facet_selected(request, kind: str, column: str, value, filters) -> bool:
    """Datasette: a column value is selected when filtered on; a date when ``col__date`` (its
    last value) is that date; an array item when ``col__arraycontains=item`` is sent."""
    if kind == "column":
        return any(f[0] == column and f[2] == value for f in filters)
    if kind == "date":
        sent = request.GET.getlist(f"{column}__date")
        return bool(sent) and sent[-1] == value
    return value in request.GET.getlist(f"{column}__arraycontains")


def _without(request, key: str, value: str) -> str:
    """The path and query without the pair (key, value) (a facet's own toggle)."""
    params = [(k, v) for k, vs in request.GET.lists() for v in vs if not (k == key and v == value)]
    return request.path + ("?" + urlencode(params) if params else "")


def _toggle_url(request, column: str, value, selected: bool) -> str:
    """The address that adds this facet value as a filter, or removes it when it is selected
    (``column``: the parameter, e.g. ``founded__date`` for a date facet)."""
    text = "" if value is None else str(common.jsonable(value))
    params = [(k, v) for k, vs in request.GET.lists() for v in vs if k not in ("_next",)]
    if selected:
        params = [(k, v) for k, v in params if not (k in (column, f"{column}__exact") and v == text)]
    else:
        params.append((column, text))
    return request.build_absolute_uri(request.path + ("?" + urlencode(params) if params else ""))


def _suggested_facets(request, table, filters, facets, q=None) -> list[dict]:
    """Datasette's suggestions, in its order: column facets (columns not yet faceted whose
    matching rows hold 2..30 distinct values), then date facets (columns with an ISO date among
    the first matching rows), then array facets (text columns whose non-empty values among the
    first matching rows are all JSON arrays of strings), each with the address that adds it."""
    params = [(k, v) for k, vs in request.GET.lists() for v in vs if k != "_next"]

    def suggestion(name: str, param: str, kind: str | None = None) -> dict:
        url = request.build_absolute_uri(request.path + "?" + urlencode([*params, (param, name)]))
        return {"name": name, **({"type": kind} if kind else {}), "toggle_url": url}

    faceted = {kind: [c for k, c in facets if k == kind] for _p, kind in FACET_PARAMS}
    candidates = [
        f["name"]
        for f in table.fields
        if f["name"] not in faceted["column"]
        and f.get("type", "string") in ("string", "integer", "boolean", "date")
    ][:SUGGEST_MAX_COLUMNS]
    out = []
    if candidates:
        result = common.query(
            table,
            filters=filters,
            q=q,
            limit=0,
            facets=candidates,
            facet_size=SUGGEST_MAX_VALUES + 1,
            count="exact",
        )
        total = result.total
        for name in candidates:
            values = result.facets.get(name, [])
            if 1 < len(values) <= SUGGEST_MAX_VALUES and (total is None or len(values) < total):
                out.append(suggestion(name, "_facet"))
    dated = [f for f in table.fields if f.get("type") in ("date", "datetime", "string")]
    texts = [f["name"] for f in table.fields if f.get("type", "string") == "string"]
    if not (dated or texts):
        return out
    sample = common.query(
        table,
        filters=filters,
        q=q,
        limit=SUGGEST_SAMPLE_ROWS,
        fields=list(dict.fromkeys([f["name"] for f in dated] + texts)),
        count="none",
    ).rows
    for field in dated:
        name = field["name"]
        if name not in faceted["date"] and any(_is_date(row.get(name)) for row in sample):
            out.append(suggestion(name, "_facet_date", "date"))
    for name in texts:
        if name not in faceted["array"] and _holds_string_arrays([row.get(name) for row in sample]):
            out.append(suggestion(name, "_facet_array", "array"))
    return out


def _is_date(value) -> bool:
    """SQLite's ``date(v)`` of a value matching ``????-??-*`` is not null."""
    text = str(common.jsonable(value)) if value is not None else ""
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return False
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _holds_string_arrays(values: list) -> bool:
    """Every non-empty value is a JSON array, and the non-empty arrays hold only text."""
    arrays = []
    for value in values:
        if value is None or value == "":
            continue
        try:
            parsed = json.loads(value) if isinstance(value, str) else None
        except (ValueError, RecursionError):
            return False
        if not isinstance(parsed, list):
            return False
        if parsed:
            arrays.append(parsed)
    return bool(arrays) and all(isinstance(item, str) for array in arrays for item in array)


def _describe(filters, sort) -> str:
    parts = [f"{f} {op} {v!r}" for f, op, v in filters]
    text = ("where " + " and ".join(parts)) if parts else ""
    if sort:
        text += (
            (" " if text else "")
            + "sorted by "
            + ", ".join(f"{f}{' descending' if d == 'desc' else ''}" for f, d in sort)
        )
    return text


@public
def table_export(request, name: str, fmt: str):
    """``/data/<name>.csv``: as Datasette, the rows the same parameters select in JSON (filters,
    sort, ``_size``, ``_next``), with a header row; ``_stream=on`` streams every matching row of
    the current version (CSV with UTF-8 BOM) in the variant the caller may see."""
    if fmt != "csv":
        return _error(f"unsupported format {fmt}", 404, "Not found")
    started = time.perf_counter()
    stream = (
        common.as_bool("_stream", request.GET.get("_stream"), False) if "_stream" in request.GET else False
    )
    try:
        user = common.request_user(request)
        common.rate_limit(request, user)
        resource = common.resource_get(user, name)
        table = common.table_for(user, resource)
        if not stream:
            return _csv_page(request, resource, table, started)
        data = engine.export(
            table.table_key,
            table.number,
            table.variant,
            "csv",
            fields=table.field_names,
            schema=common.public_schema(table),
        )
    except ZhengtongError as exc:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        return _error(exc.message, status, headers=retry_after_header(exc))
    common.count_call(resource, "downloads")
    if isinstance(data, str | bytes):
        if isinstance(data, str):
            with open(data, "rb") as handle:  # a file path
                payload = handle.read()
        else:
            payload = data
        response = HttpResponse(payload, content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{resource.name}.csv"'
    return response


def _csv_page(request, resource, table, started):
    if request.GET.get("_shape", "arrays") != "arrays":
        raise ValidationError.for_field("_shape", "a .csv has one shape; leave _shape out")
    body, _headers = _table(request, resource, table, started)
    columns, rows = body["columns"], body["rows"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else engine.neutralize(v) for v in row])
    common.count_call(resource, "downloads")
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/plain; charset=utf-8")
    if body.get("next_url"):
        response["Link"] = f'<{body["next_url"]}>; rel="next"'
    return response
