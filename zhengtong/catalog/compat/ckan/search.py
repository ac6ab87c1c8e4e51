"""CKAN's package_search on the catalogue's search: q, fq (Solr-like field:value filters), sort,
rows/start, facets."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

from django.utils import timezone

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
    "name": "name",
    "id": "id",
}
# Range fields (``field:[from TO to]``, ``*`` open): CKAN field -> the catalog's filter prefix.
RANGE_FIELDS = {"metadata_modified": "modified", "metadata_created": "created"}
# Fields CKAN indexes as text: a term on them is a search word.
TEXT_FIELDS = ("text", "title", "notes")
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
    # What harvesters send (ckanext-harvest's CKAN harvester always sorts "id asc").
    "id asc": "id",
    "id": "id",
    "metadata_modified asc": "modified_asc",
    "name": "name",
}


_FQ_TOKEN = re.compile(
    r"\s*([+-]|NOT\s+)?([A-Za-z_][A-Za-z0-9_.]*):"
    r'(?:"((?:[^"\\]|\\.)*)"|\(([^)]*)\)|[\[{]\s*(\S+)\s+TO\s+(\S+?)\s*[\]}]|([^\s"()]+))\s*'
)
_OR = re.compile(r"\s*(OR|\|\|)\s+")
# Each term is one more condition in the search query; databases refuse expressions past ~1,000.
FQ_TERMS_MAX = 100
_CONNECTIVE = re.compile(r"\s*(AND|&&)\s*")


def parse_fq(
    text: str, *, param: str = "fq", excludes: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """``organization:x tags:"a b" +res_format:CSV groups:(a OR b) -organization:y
    metadata_modified:[2026-01-01T00:00:00Z TO *] organization:a OR organization:b`` ->
    {filter: [values]}. Negated terms go to ``excludes`` (an error when it is None); terms joined by
    OR must name the same field (values of one field are alternatives)."""
    filters: dict[str, list[str]] = {}
    pos = 0
    text = (text or "").strip()
    last_field = None
    while pos < len(text):
        connective = _CONNECTIVE.match(text, pos)
        if connective and connective.end() > pos:
            pos = connective.end()
            last_field = None
            continue
        alternative = _OR.match(text, pos)
        if alternative and last_field is not None:
            pos = alternative.end()
            match = _FQ_TOKEN.match(text, pos)
            if not match or match.group(2) != last_field:
                raise ValidationError.for_field(
                    param, "OR joins terms on one field only (write field:(a OR b))"
                )
        match = _FQ_TOKEN.match(text, pos)
        if not match:
            raise ValidationError.for_field(
                param, f'cannot parse “{text[pos:][:40]}”: use field:value or field:"value"'
            )
        sign, field, quoted, group, low, high, bare = match.groups()
        negated = bool(sign) and sign.strip() in ("-", "NOT")
        target_filters = filters
        if negated:
            if excludes is None:
                raise ValidationError.for_field(param, "negated terms are not accepted here")
            target_filters = excludes
        if low is not None:
            prefix = RANGE_FIELDS.get(field)
            if prefix is None:
                raise ValidationError.for_field(
                    param, f"“{field}” takes no range; ranges: {', '.join(RANGE_FIELDS)}"
                )
            for bound, suffix in ((low, "_from"), (high, "_to")):
                if bound != "*":
                    target_filters.setdefault(prefix + suffix, []).append(_solr_time(param, bound))
            last_field = field
            pos = match.end()
            continue
        target = FQ_FIELDS.get(field)
        if target is None:
            raise ValidationError.for_field(
                param,
                f"unknown field “{field}”; known: {', '.join(sorted([*FQ_FIELDS, *RANGE_FIELDS]))}",
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
            elif field == "res_format":
                # Resources say "CSV", the store says "csv": CKAN's res_format match is exact,
                # ours takes either case.
                value = value.lower()
            target_filters.setdefault(target, []).append(value)
        last_field = field
        pos = match.end()
    return filters


def _solr_time(param: str, value: str) -> str:
    """A Solr date (``2026-12-01T10:00:00.123Z``, ``NOW``) as ISO 8601 for the catalog's filter."""
    if value.upper() == "NOW":
        return timezone.now().isoformat()
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError.for_field(
            param, f"“{value[:40]}” is not a date: use 2026-12-01T00:00:00Z or *"
        ) from None
    return value


def _department_filter_value(value: str) -> str:
    """CKAN clients pass an organization name ("330106-scjg") or id; the catalog filters by id."""
    if value.isdigit():
        return value
    unit, _, code = value.partition("-")
    department = account_selectors.department_by_code(unit, code)
    return str(department.pk) if department else "0"


def _split_q(q: str, excludes: dict[str, list[str]] | None = None) -> tuple[str, dict[str, list[str]]]:
    q = (q or "").strip()
    if q in ("*:*", "*"):
        return "", {}
    filters: dict[str, list[str]] = {}
    words = []
    for token in re.findall(r'\S+:"[^"]*"|\S+:[\[{]\S+ TO \S+[\]}]|\S+', q):
        field = token.split(":", 1)[0].lstrip("+-")
        if ":" in token and (field in FQ_FIELDS or field in RANGE_FIELDS):
            for key, values in parse_fq(token, param="q", excludes=excludes).items():
                filters.setdefault(key, []).extend(values)
        elif field in TEXT_FIELDS and ":" in token:
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
    excludes: dict[str, list[str]] = {}
    text, filters = _split_q(str(data.get("q") or ""), excludes)
    for fq in _as_list(data.get("fq")) + _as_list(data.get("fq_list")):
        for key, values in parse_fq(str(fq), excludes=excludes).items():
            filters.setdefault(key, []).extend(values)
    terms = sum(len(values) for values in [*filters.values(), *excludes.values()])
    if terms > FQ_TERMS_MAX:
        raise ValidationError.for_field(
            "fq", f"at most {FQ_TERMS_MAX} field:value terms in q and fq together"
        )
    # CKAN caps rows silently (ckan.search.rows_max, 1000); so do we.
    rows = min(as_int("rows", data.get("rows"), 10, minimum=0), common.PACKAGE_ROWS_MAX)
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
        exclude=excludes,
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
    if name == "res_format":
        return str(value).upper()  # as the resources' "format" says it
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
