"""CKAN's package_search on the catalogue's search: q, fq (Solr-like field:value filters), sort,
rows/start, facets."""

from __future__ import annotations

import json
import re
from collections import Counter

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog import selectors
from zhengtong.catalog.compat import common
from zhengtong.catalog.compat.ckan.dicts import _org_name, package_dict
from zhengtong.catalog.compat.common import as_bool, as_int
from zhengtong.core.errors import ValidationError

# CKAN fq/q field -> the catalog's filter (facet) name.
FQ_FIELDS = {
    "organization": "department",
    "owner_org": "department",
    "groups": "domain",
    "tags": "keyword",
    "res_format": "format",
    "openness": "openness",
    "grade": "grade",
    "update_frequency": "update_frequency",
    "frequency": "update_frequency",
    "domain": "domain",
    "department": "department",
    "spatial": "org_unit",
}
FACET_FIELDS = {
    "organization": "department",
    "groups": "domain",
    "tags": "keyword",
    "res_format": "format",
    "openness": "openness",
    "grade": "grade",
    "update_frequency": "update_frequency",
}
SORTS = {
    "score desc, metadata_modified desc": "relevance",
    "score desc": "relevance",
    "relevance": "relevance",
    "metadata_modified desc": "modified",
    "metadata_modified": "modified",
    "title_string asc": "title",
    "title_string": "title",
    "title asc": "title",
    "name asc": "title",
    "views_recent desc": "views",
    "views_total desc": "views",
}


_FQ_TOKEN = re.compile(
    r'\s*([+]?)([A-Za-z_][A-Za-z0-9_.]*):(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|([^\s"()]+))\s*'
)
# Each term is one more condition in the search query; databases refuse expressions past ~1,000.
FQ_TERMS_MAX = 100
_CONNECTIVE = re.compile(r"\s*(AND|&&)\s*")


def parse_fq(text: str, *, param: str = "fq") -> dict[str, list[str]]:
    """``organization:x tags:"a b" +res_format:CSV groups:(a OR b)`` -> {filter: [values]}."""
    filters: dict[str, list[str]] = {}
    pos = 0
    text = (text or "").strip()
    while pos < len(text):
        connective = _CONNECTIVE.match(text, pos)
        if connective and connective.end() > pos:
            pos = connective.end()
            continue
        match = _FQ_TOKEN.match(text, pos)
        if not match:
            raise ValidationError.for_field(
                param, f'cannot parse “{text[pos:][:40]}”: use field:value or field:"value"'
            )
        _, field, quoted, group, bare = match.groups()
        target = FQ_FIELDS.get(field)
        if target is None:
            raise ValidationError.for_field(
                param, f"unknown field “{field}”; known: {', '.join(sorted(FQ_FIELDS))}"
            )
        if group is not None:
            values = [v.strip().strip('"') for v in re.split(r"\s+OR\s+", group) if v.strip()]
        elif quoted is not None:
            values = [quoted.replace('\\"', '"')]
        else:
            values = [bare]
        for value in values:
            if field in ("organization", "owner_org"):
                value = _department_filter_value(value)
            filters.setdefault(target, []).append(value)
        pos = match.end()
    return filters


def _department_filter_value(value: str) -> str:
    """CKAN clients pass an organization name ("330106-scjg") or id; the catalog filters by id."""
    if value.isdigit():
        return value
    unit, _, code = value.partition("-")
    department = account_selectors.department_by_code(unit, code)
    return str(department.pk) if department else "0"


def _split_q(q: str) -> tuple[str, dict[str, list[str]]]:
    q = (q or "").strip()
    if q in ("*:*", "*"):
        return "", {}
    filters: dict[str, list[str]] = {}
    words = []
    for token in re.findall(r'\S+:"[^"]*"|\S+', q):
        field = token.split(":", 1)[0]
        if ":" in token and field in FQ_FIELDS:
            for key, values in parse_fq(token, param="q").items():
                filters.setdefault(key, []).extend(values)
        elif field == "text" and ":" in token:
            words.append(token.split(":", 1)[1].strip('"'))
        else:
            words.append(token)
    return " ".join(words), filters


def _facet_list(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        names = value
    else:
        try:
            names = json.loads(value)
        except (ValueError, RecursionError):
            names = [value] if re.fullmatch(r"[A-Za-z_]+", str(value)) else None
        if not isinstance(names, list):
            raise ValidationError.for_field(
                "facet.field", 'must be a JSON list, e.g. ["organization","tags"]'
            )
    for name in names:
        if name not in FACET_FIELDS:
            raise ValidationError.for_field(
                "facet.field", f"unknown facet “{name}”; known: {', '.join(FACET_FIELDS)}"
            )
    return names


def package_search(request, user, data):
    """Search datasets: q, fq, sort, rows (≤ 1000), start (any depth), facet.field, facet.limit."""
    text, filters = _split_q(str(data.get("q") or ""))
    for fq in _as_list(data.get("fq")) + _as_list(data.get("fq_list")):
        for key, values in parse_fq(str(fq)).items():
            filters.setdefault(key, []).extend(values)
    if sum(len(values) for values in filters.values()) > FQ_TERMS_MAX:
        raise ValidationError.for_field(
            "fq", f"at most {FQ_TERMS_MAX} field:value terms in q and fq together"
        )
    rows = as_int("rows", data.get("rows"), 10, minimum=0, maximum=common.PACKAGE_ROWS_MAX)
    start = as_int("start", data.get("start"), 0, minimum=0)
    sort_text = re.sub(r"\s+", " ", str(data.get("sort") or "score desc, metadata_modified desc").strip())
    sort = SORTS.get(sort_text.lower())
    if sort is None:
        raise ValidationError.for_field(
            "sort", f"unsupported sort “{sort_text}”; use one of: {', '.join(SORTS)}"
        )
    facets = _facet_list(data.get("facet.field"))
    facet_limit = as_int("facet.limit", data.get("facet.limit"), 50, minimum=-1, maximum=1000)
    want_facets = as_bool("facet", data.get("facet"), True)
    if not as_bool("include_drafts", data.get("include_drafts"), False) and not as_bool(
        "include_private", data.get("include_private"), False
    ):
        filters["state"] = ["published"]
    catalog_facets = tuple(FACET_FIELDS[f] for f in facets if f != "tags") if want_facets else ()
    result = selectors.resource_search(
        user=user,
        q=text,
        filters=filters,
        sort=sort,
        offset=start,
        limit=max(rows, 1),
        facet_fields=catalog_facets,
    )
    items = list(result.items)[:rows] if rows else []
    search_facets = {}
    legacy = {}
    for name in facets if want_facets else ():
        if name == "tags":
            entries = _tag_facet(user, text, filters)
        else:
            entries = result.facets.get(FACET_FIELDS[name], [])
        if facet_limit >= 0:
            entries = entries[:facet_limit]
        search_facets[name] = {
            "title": name,
            "items": [
                {"name": _facet_value(name, value), "display_name": str(label), "count": count}
                for value, label, count in entries
            ],
        }
        legacy[name] = {_facet_value(name, value): count for value, _label, count in entries}
    return {
        "count": result.total,
        "sort": sort_text,
        "facets": legacy,
        "search_facets": search_facets,
        "results": [package_dict(request, r) for r in items],
    }


def _tag_facet(user, text: str, filters: dict) -> list[tuple[str, str, int]]:
    """Keyword counts over the matching datasets (the catalogue has no keyword facet)."""
    qs = selectors.visible_resources(user)
    if text:
        qs = qs.filter(selectors.search_q(text))
    qs = selectors.apply_filters(qs, filters)
    counts: Counter = Counter()
    for keywords in qs.values_list("keywords", flat=True):
        counts.update({k for k in keywords or [] if isinstance(k, str)})
    return [(k, k, n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _facet_value(name: str, value) -> str:
    if name == "organization":
        department = account_selectors.department_by_id(value)
        return _org_name(department) if department else str(value)
    return str(value)


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
            if isinstance(parsed, list):
                return parsed
        except (ValueError, RecursionError):
            pass
    return [value]
