"""The row index and text index give the same rows, order and counts as DuckDB's plain scan.

The same generated table is written as both variants: ``public`` gets the indexes (and is
answered from them), ``raw`` has none (DuckDB scans it). Every filter operator and sort the APIs
accept is compared, with ties broken by ``_row`` and nulls last.
"""

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine
from zhengtong.datastore.engine import rowfiles, rowindex
from zhengtong.datastore.engine import store as store_module
from zhengtong.datastore.engine.compiler import decode_cursor

N = 3000
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区"]
WORDS = ["信宏", "制造", "建设", "工程", "科技", "贸易", "餐饮", "杭州", "服务", "电子", "Ab", "xY"]


def _table(seed: int = 7) -> pa.Table:
    rnd = random.Random(seed)

    def maybe(value, p=0.08):
        return None if rnd.random() < p else value

    rows = {
        "district": [maybe(rnd.choice(DISTRICTS)) for _ in range(N)],
        "status": [maybe(rnd.choice(["存续", "注销", "吊销"])) for _ in range(N)],
        "capital": [
            maybe(round(rnd.choice([10, 50, 100, 3.5, 0, -2]) * rnd.randint(0, 3), 2)) for _ in range(N)
        ],
        "employees": [maybe(rnd.randint(0, 40)) for _ in range(N)],
        "founded": [maybe(dt.date(1990, 1, 1) + dt.timedelta(days=rnd.randint(0, 12000))) for _ in range(N)],
        "checked": [
            maybe(dt.datetime(2024, 1, 1) + dt.timedelta(minutes=rnd.randint(0, 5000))) for _ in range(N)
        ],
        "active": [maybe(rnd.random() < 0.6) for _ in range(N)],
        "name": [
            maybe("".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 4))) + "有限公司", 0.02)
            for _ in range(N)
        ],
        "address": [
            maybe(f"浙江省杭州市{rnd.choice(DISTRICTS)}解放路{rnd.randint(1, 999)}号", 0.05) for _ in range(N)
        ],
        "code": [f"9133{i:06d}X" for i in range(N)],
    }
    types = {
        "capital": pa.float64(),
        "employees": pa.int64(),
        "founded": pa.date32(),
        "checked": pa.timestamp("us"),
        "active": pa.bool_(),
    }
    return pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in rows.items()})


SCHEMA = {
    "fields": [
        {"name": "district", "type": "string"},
        {"name": "status", "type": "string"},
        {"name": "capital", "type": "number"},
        {"name": "employees", "type": "integer"},
        {"name": "founded", "type": "date"},
        {"name": "checked", "type": "datetime"},
        {"name": "active", "type": "boolean"},
        {"name": "name", "type": "string"},
        {"name": "address", "type": "string"},
        {"name": "code", "type": "string"},
    ]
}


# How the index finds the matching rows: one mask over every row; the posting list slice of the
# most selective filter with the page ranked by sort key; or that slice with the sort column's
# order walked. Each equivalence test runs with each (the defaults choose by size).
PATHS = {
    "mask": {"POSTING_SHARE": 0},
    "posting-rank": {"POSTING_SHARE": 1.0, "WALK_FACTOR": 0},
    "posting-walk": {"POSTING_SHARE": 1.0, "WALK_FACTOR": float("inf")},
}


@pytest.fixture(params=list(PATHS))
def path(request, monkeypatch):
    for name, value in PATHS[request.param].items():
        monkeypatch.setattr(rowindex, name, value)
    return request.param


@pytest.fixture
def both(settings, monkeypatch):
    settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT = 100  # district/status indexed; name/address text
    # the raw variant is the scan to compare with: written without its row index here
    monkeypatch.setattr(store_module, "ROW_INDEXED_VARIANTS", ("public",))
    table = _table()
    version = engine.write_version("gen", {"raw": table, "public": table})
    engine.activate("gen", version)
    return "gen", version


def _pair(both, **kw):
    key, version = both
    indexed = engine.query(key, version, "public", schema=SCHEMA, **kw)
    scanned = engine.query(key, version, "raw", schema=SCHEMA, **kw)
    return indexed, scanned


def _same(indexed, scanned):
    assert indexed.rows == scanned.rows
    assert indexed.total == scanned.total
    assert indexed.total_is_estimate is False


FILTERS = [
    ("district", "eq", "拱墅区"),
    ("district", "eq", "不存在区"),
    ("district", "ne", "拱墅区"),
    ("district", "gt", "拱"),
    ("district", "gte", "拱墅区"),
    ("district", "lt", "西湖区"),
    ("district", "lte", "西湖区"),
    ("district", "in", ["拱墅区", "滨江区", "不存在区"]),
    ("district", "in", "上城区,余杭区"),
    ("district", "in", []),
    ("district", "contains", "杭"),
    ("district", "contains", "湖"),
    ("district", "startswith", "余"),
    ("district", "isnull", True),
    ("district", "isnull", False),
    ("capital", "eq", 100),
    ("capital", "ne", 0),
    ("capital", "gt", 3.5),
    ("capital", "gte", "3.5"),
    ("capital", "lt", 1),
    ("capital", "lte", -2),
    ("capital", "gt", 99999),
    ("capital", "in", [0, 50, 7]),
    ("capital", "isnull", True),
    ("employees", "eq", 7),
    ("employees", "gte", 20),
    ("employees", "lt", "3"),
    ("employees", "in", "1,2,3"),
    ("employees", "ne", 0),
    ("founded", "gte", "2000-01-01"),
    ("founded", "lt", "1995-06-15"),
    ("founded", "eq", "2001-02-03"),
    ("checked", "gt", "2024-01-02T10:00:00"),
    ("checked", "lte", "2024-01-01 12:30:00"),
    ("active", "eq", "true"),
    ("active", "ne", "false"),
    ("active", "isnull", "true"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=[f"{f}-{o}-{v}" for f, o, v in FILTERS])
def test_every_filter_operator_matches_the_scan(both, path, flt):
    indexed, scanned = _pair(both, filters=[flt], limit=1000)
    assert indexed.engine == "index" and scanned.engine == "duckdb"
    _same(indexed, scanned)


def test_operators_the_index_cannot_answer_fall_back_to_the_scan(both):
    for flt in [
        ("capital", "contains", "5"),
        ("name", "eq", "信宏有限公司"),
        ("code", "startswith", "91330001"),
    ]:
        indexed, scanned = _pair(both, filters=[flt], limit=100)
        assert indexed.engine == "duckdb"
        _same(indexed, scanned)


SORTS = [
    ["district"],
    ["-district"],
    ["capital"],
    ["-capital"],
    ["-employees", "district"],
    ["founded", "-capital"],
    ["-checked"],
    ["active", "-founded", "status"],
]


@pytest.mark.parametrize("sort", SORTS, ids=[",".join(s) for s in SORTS])
@pytest.mark.parametrize(
    "filters", [[], [("status", "eq", "存续"), ("capital", "gte", 0)]], ids=["all", "filtered"]
)
def test_sorts_and_keyset_pages_match_the_scan(both, path, sort, filters):
    key, version = both
    seen = {"public": [], "raw": []}
    for variant in seen:
        after, pages = None, 0
        while True:
            result = engine.query(
                key, version, variant, schema=SCHEMA, sort=sort, filters=filters, limit=97, after=after
            )
            assert result.engine == ("index" if variant == "public" else "duckdb")
            seen[variant].extend(result.rows)
            pages += 1
            after = result.next_cursor
            if not after:
                break
        assert pages > 1
    assert seen["public"] == seen["raw"]
    # a cursor of one engine continues on the other (the cursor holds values, not positions)
    first = engine.query(key, version, "raw", schema=SCHEMA, sort=sort, filters=filters, limit=50)
    indexed, scanned = _pair(both, sort=sort, filters=filters, limit=50, after=first.next_cursor)
    _same(indexed, scanned)
    # offset paging
    indexed, scanned = _pair(both, sort=sort, filters=filters, limit=30, offset=1234)
    _same(indexed, scanned)


def test_multiple_filters_and_file_order_pages(both, path):
    filters = [("district", "in", ["拱墅区", "西湖区"]), ("employees", "gt", 5), ("active", "eq", True)]
    indexed, scanned = _pair(both, filters=filters, limit=40)
    _same(indexed, scanned)
    indexed, scanned = _pair(both, filters=filters, limit=40, after=scanned.next_cursor)
    _same(indexed, scanned)
    indexed, scanned = _pair(both, filters=filters, count="none", limit=5)
    assert indexed.total is None and indexed.count_method is None and indexed.rows == scanned.rows


RAW_CASES = [
    {"filters": [("district", "startswith", "西"), ("status", "eq", "存续")], "count": "none", "limit": 7},
    {"filters": [("district", "in", ["拱墅区"]), ("employees", "gte", 30)], "count": "none", "limit": 50},
    {"filters": [("status", "eq", "注销"), ("capital", "gte", 50)], "limit": 40},
    {"filters": [("district", "eq", "不存在区")], "count": "none", "limit": 5},
    {"filters": [("_row", "gt", 2990)], "count": "none", "limit": 3, "fields": ["code", "name"]},
    {"filters": [("status", "ne", "吊销")], "sort": ["-capital"], "count": "none", "limit": 100},
]


def test_the_raw_variant_is_answered_from_its_row_index(settings, monkeypatch):
    """The raw variant (staff, sharing grants) gets a row index (no text index): same pages,
    cursors and totals as the scan; a search on it still goes to DuckDB."""
    settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT = 100
    table = _table()
    version = engine.write_version("genraw", {"raw": table, "public": table})
    engine.activate("genraw", version)

    def every_page(case):
        engines, rows, totals, after = set(), [], [], None
        while True:
            page = engine.query("genraw", version, "raw", schema=SCHEMA, after=after, **case)
            engines.add(page.engine)
            rows.extend(page.rows)
            totals.append(page.total)
            after = page.next_cursor
            if not after:
                return engines, rows, totals

    indexed = [every_page(case) for case in RAW_CASES]
    searched = engine.query("genraw", version, "raw", schema=SCHEMA, q="信宏", limit=10)
    monkeypatch.setattr(store_module, "ROW_INDEXED_VARIANTS", ("public",))  # the same files, scanned
    scanned = [every_page(case) for case in RAW_CASES]
    for (i_engines, i_rows, i_totals), (s_engines, s_rows, s_totals) in zip(indexed, scanned, strict=True):
        assert i_engines == {"index"} and s_engines == {"duckdb"}
        assert i_rows == s_rows and i_totals == s_totals
    assert sum(len(r) for _e, r, _t in indexed) > 300  # the cases are not all empty
    assert searched.engine == "duckdb" and searched.total > 0


def test_facets_match_the_scan(both, path):
    for filters in ([], [("status", "eq", "存续")], [("capital", "gt", 10), ("district", "ne", "上城区")]):
        indexed, scanned = _pair(
            both,
            filters=filters,
            facets=["district", "status", "employees", "active", "name"],
            facet_size=5,
            limit=0,
        )
        assert indexed.facets == scanned.facets
        assert indexed.total == scanned.total


@pytest.mark.parametrize(
    "q",
    [
        "信宏",
        "杭",
        "制造有限",
        "拱墅区",
        "湖区解放",
        "Ab科技",
        "aB科技有限",
        "xy",
        "不存在的词",
        "州市西湖区解放路",  # past 4 characters: pieces intersected, then checked against the text
        "科技有限公",
        "区解",  # a pair across a district (row index) and an address
    ],
)
def test_search_finds_the_rows_the_scan_finds(both, path, q):
    indexed, scanned = _pair(both, q=q, limit=1000)
    assert indexed.total == scanned.total
    if scanned.total <= 1000:  # one page holds every match: the same rows (in another order)
        assert sorted(r["code"] for r in indexed.rows) == sorted(r["code"] for r in scanned.rows)
    if q.isascii():
        assert indexed.engine == "duckdb"
    else:
        assert indexed.engine == "index" and indexed.ranked
    # with a sort the order is the sort's, the same as the scan's
    indexed, scanned = _pair(both, q=q, sort=["-capital"], filters=[("status", "ne", "吊销")], limit=200)
    _same(indexed, scanned)


def test_search_is_ranked_and_pages_by_relevance(both):
    key, version = both
    result = engine.query(
        key, version, "public", schema=SCHEMA, q="信宏", limit=20, fields=["name", "address"]
    )
    assert result.ranked and result.next_cursor
    # bm25 prefers a short name in which the term is a larger share
    lengths = [len(r["name"] or "") for r in result.rows[:5]]
    assert min(lengths) <= 8
    codes = []
    after = None
    while True:
        page = engine.query(key, version, "public", schema=SCHEMA, q="信宏", limit=50, after=after)
        codes.extend(r["code"] for r in page.rows)
        after = page.next_cursor
        if not after:
            break
    assert len(codes) == len(set(codes)) == result.total
    with pytest.raises(ValidationError) as info:
        engine.query(key, version, "public", schema=SCHEMA, q="制造", after=result.next_cursor)
    assert "after" in info.value.fields


def test_unsearchable_fields_stay_unsearched(both):
    schema = {"fields": [dict(f, searchable=False) if f["name"] == "name" else f for f in SCHEMA["fields"]]}
    key, version = both
    indexed = engine.query(key, version, "public", schema=schema, q="信宏", limit=1000)
    scanned = engine.query(key, version, "raw", schema=schema, q="信宏", limit=1000)
    assert indexed.total == scanned.total == 0
    indexed = engine.query(key, version, "public", schema=schema, q="解放路", limit=0)
    scanned = engine.query(key, version, "raw", schema=schema, q="解放路", limit=0)
    assert indexed.total == scanned.total > 0


STRUCTURE_FILES = {"public.grams.bin", "public.idx.arrow", "public.keys.arrow"}


def _structure_files(root, key, version):
    return sorted(p.name for p in (root / key / f"v{version}").iterdir() if p.name in STRUCTURE_FILES)


def test_replaced_and_retired_versions_lose_their_structures(both, store):
    key, v1 = both
    assert _structure_files(store, key, v1) == sorted(STRUCTURE_FILES)
    v2 = engine.write_version(key, {"raw": _table(8), "public": _table(8)})
    # written but not yet active: both versions have their structures
    assert _structure_files(store, key, v2) and _structure_files(store, key, v1)
    engine.activate(key, v2)
    assert _structure_files(store, key, v1) == []  # replaced
    old = engine.query(key, v1, "public", schema=SCHEMA, filters=[("status", "eq", "存续")], limit=10)
    assert old.engine == "duckdb" and old.total > 0  # still answered, by a scan
    assert (
        engine.query(key, v2, "public", schema=SCHEMA, filters=[("status", "eq", "存续")]).engine == "index"
    )
    engine.activate(key, v1)  # made current again: rebuilt
    assert (
        len(_structure_files(store, key, v1)) == len(STRUCTURE_FILES)
        and _structure_files(store, key, v2) == []
    )
    assert (
        engine.query(key, v1, "public", schema=SCHEMA, filters=[("status", "eq", "存续")]).engine == "index"
    )
    engine.retire(key)
    assert _structure_files(store, key, v1) == [] and engine.active_version(key) is None
    assert engine.versions(key) == [v1, v2]  # the data itself stays


def test_a_failed_write_leaves_no_structures(both, store, monkeypatch):
    key, _v = both

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_write_structures", broken)
    with pytest.raises(OSError):
        engine.write_version(key, {"raw": _table(9), "public": _table(9)})
    assert engine.versions(key) == [1]
    assert not (store / key / "v2").exists()
    assert not list((store / "_tmp").glob("*")) if (store / "_tmp").exists() else True


def test_structures_are_not_used_before_the_version_is_complete(both, store):
    key, version = both
    (store / key / f"v{version}" / "public.grams.bin").unlink()  # one file missing
    result = engine.query(key, version, "public", schema=SCHEMA, filters=[("status", "eq", "存续")])
    assert result.engine == "duckdb"


def test_ranked_pages_straight_from_fts_match_the_general_path(both):
    key, version = both
    codes, after = [], None
    while True:
        page = engine.query(key, version, "public", schema=SCHEMA, q="制造有限", limit=40, after=after)
        assert page.ranked and page.engine == "index"
        codes.extend(r["code"] for r in page.rows)
        after = page.next_cursor
        if not after:
            break
    scanned = engine.query(key, version, "raw", schema=SCHEMA, q="制造有限", limit=1000)
    assert len(codes) == len(set(codes)) == page.total == scanned.total
    assert set(codes) == {r["code"] for r in scanned.rows}
    # the same order as the general path (which a filter forces), on the rows the filter keeps
    general = engine.query(
        key,
        version,
        "public",
        schema=SCHEMA,
        q="制造有限",
        limit=1000,
        filters=[("employees", "isnull", False)],
    )
    assert general.engine == "index" and general.ranked
    fast = engine.query(key, version, "public", schema=SCHEMA, q="制造有限", limit=1000)
    kept = [r["code"] for r in fast.rows if r["employees"] is not None]
    assert kept == [r["code"] for r in general.rows]


ROW_FILTERS = [
    (engine.ROW, "gt", 2990),
    (engine.ROW, "gte", 2999),
    (engine.ROW, "lt", 4),
    (engine.ROW, "lte", "3"),
    (engine.ROW, "eq", 1500),
    (engine.ROW, "ne", 1),
    (engine.ROW, "in", [3, 5, 3000, 4000]),
    (engine.ROW, "isnull", False),
]


@pytest.mark.parametrize("flt", ROW_FILTERS, ids=[f"row-{o}-{v}" for _f, o, v in ROW_FILTERS])
def test_row_number_filters_match_the_scan(both, path, flt):
    """Datasette's rowid comparisons: the index answers them from positions."""
    indexed, scanned = _pair(both, filters=[flt, ("status", "ne", "吊销")], limit=1000, row_numbers=True)
    assert indexed.engine == "index" and scanned.engine == "duckdb"
    _same(indexed, scanned)
    assert all(_matches(row[engine.ROW], flt[1], flt[2]) for row in indexed.rows)


def _matches(number, op, value):
    if op == "in":
        return number in value
    if op == "isnull":
        return not value
    value = int(value)
    return {
        "gt": number > value,
        "gte": number >= value,
        "lt": number < value,
        "lte": number <= value,
        "eq": number == value,
        "ne": number != value,
    }[op]


def test_row_number_filter_rejects_text(both):
    key, version = both
    with pytest.raises(ValidationError):
        engine.query(key, version, "public", schema=SCHEMA, filters=[(engine.ROW, "gt", "abc")])


def test_date_facets_match_the_scan(both, path):
    for filters in ([], [("status", "eq", "存续")], [(engine.ROW, "lte", 500)]):
        indexed, scanned = _pair(
            both, filters=filters, facets=[("date", "founded"), ("date", "checked")], facet_size=7, limit=0
        )
        assert indexed.facets == scanned.facets
        assert list(indexed.facets) == ["date:founded", "date:checked"]
        assert len(indexed.facets["date:checked"]) == 4  # 5000 minutes: four calendar days
        assert all(value is not None for value, _n in indexed.facets["date:founded"])


def test_array_facets_and_filters(settings):
    table = pa.table(
        {
            "tags": pa.array(['["a", "b"]', '["a", "a"]', None, "[]", "not json", '{"a": 1}', '["b"]']),
            "n": pa.array([1, 2, 3, 4, 5, 6, 7], pa.int64()),
        }
    )
    schema = {"fields": [{"name": "tags", "type": "string"}, {"name": "n", "type": "integer"}]}
    version = engine.write_version("arr", {"public": table})
    engine.activate("arr", version)

    def ns(filters):
        result = engine.query("arr", version, "public", schema=schema, filters=filters, limit=100)
        return [r["n"] for r in result.rows]

    result = engine.query("arr", version, "public", schema=schema, facets=[("array", "tags")], limit=0)
    assert result.facets == {"array:tags": [("a", 2), ("b", 2)]}  # a row's repeated item counts once
    assert ns([("tags", "arraycontains", "a")]) == [1, 2]
    assert ns([("tags", "arraynotcontains", "a")]) == [3, 4, 5, 6, 7]
    with pytest.raises(ValidationError):
        engine.query("arr", version, "public", schema=schema, facets=[("histogram", "tags")])


RANGES = [
    [("capital", "gt", 3.5)],
    [("capital", "gte", 0), ("capital", "lt", 100)],
    [("capital", "eq", 50)],
    [("capital", "lte", -2)],
    [("capital", "gt", 99999)],
    [("founded", "gte", "2000-01-01"), ("founded", "lte", "2005-12-31")],
]


@pytest.mark.parametrize("direction", ["", "-"], ids=["asc", "desc"])
@pytest.mark.parametrize("filters", RANGES, ids=[",".join(f"{f}{o}{v}" for f, o, v in r) for r in RANGES])
@pytest.mark.parametrize("count", ["exact", "none"])
def test_range_filters_on_the_sort_column_slice_its_order(both, path, direction, filters, count):
    """Every filter a range on the one sort column: a slice of the sorted order (no mask)."""
    key, version = both
    sort = [direction + filters[0][0]]
    seen = {"public": [], "raw": []}
    for variant in seen:
        after = None
        while True:
            result = engine.query(
                key, version, variant, schema=SCHEMA, sort=sort, filters=filters, limit=83, after=after,
                count=count, facets=["status"] if after is None else None,
            )  # fmt: skip
            assert result.engine == ("index" if variant == "public" else "duckdb")
            seen[variant].append((result.rows, result.total, result.facets))
            after = result.next_cursor
            if not after:
                break
    assert seen["public"] == seen["raw"]
    indexed, scanned = _pair(both, sort=sort, filters=filters, limit=20, offset=57)
    _same(indexed, scanned)


@pytest.mark.parametrize("q", ["信宏", "制造", "杭州", "解放", "ab", "Ab科", "杭州市", "湖区"])
@pytest.mark.parametrize("window", [1000, 40])
def test_short_searches_use_the_posting_lists(both, monkeypatch, q, window):
    """2 to 4 characters: one posting list finds the rows the scan finds; the ranked pages (the first
    ``CANDIDATES`` matches by shortest matching text, then row order) are the general path's."""
    from zhengtong.datastore.engine import textindex

    monkeypatch.setattr(textindex, "CANDIDATES", window)
    key, version = both
    codes, after = [], None
    while True:
        page = engine.query(key, version, "public", schema=SCHEMA, q=q, limit=70, after=after)
        codes.extend(r["code"] for r in page.rows)
        after = page.next_cursor
        if not after:
            break
    scanned = engine.query(key, version, "raw", schema=SCHEMA, q=q, limit=1000)
    assert len(codes) == len(set(codes)) == page.total == scanned.total
    if q.isascii():
        assert page.engine == "duckdb"
        return
    assert page.engine == "index" and page.ranked
    if scanned.total <= 1000:
        assert set(codes) == {r["code"] for r in scanned.rows}
    general = engine.query(
        key, version, "public", schema=SCHEMA, q=q, limit=1000, filters=[("employees", "isnull", False)]
    )
    assert general.engine == "index" and general.ranked
    fast = engine.query(key, version, "public", schema=SCHEMA, q=q, limit=1000)
    kept = [r["code"] for r in fast.rows if r["employees"] is not None]
    assert kept == [r["code"] for r in general.rows][: len(kept)]
    # the ranked window: shortest matching text first
    if fast.total > 5:
        lengths = [
            # a row matched only through the row index (a district) comes after the text matches
            min((len(v) for v in (r["name"], r["address"]) if v and q.lower() in v.lower()), default=10**9)
            for r in fast.rows
        ]
        head = lengths[: min(window, fast.total)]
        assert head == sorted(head)


DRIVEN_CASES = [
    {"filters": [("employees", "eq", 7), ("district", "in", ["拱墅区", "西湖区"])], "limit": 5},
    {"filters": [("employees", "in", [12]), ("status", "eq", "存续"), ("_row", "gt", 500)], "limit": 4},
    {
        "filters": [("capital", "eq", 100), ("founded", "gte", "2000-01-01"), ("active", "eq", True)],
        "limit": 9,
    },
    {"filters": [("district", "startswith", "西"), ("employees", "eq", 3)], "limit": 3},
    {"filters": [("employees", "eq", 99), ("status", "eq", "存续")], "limit": 5},
]


def test_a_rare_single_value_filter_drives_file_order_pages(settings, monkeypatch):
    """A file-order page without a total whose filters include one value held by few rows tests
    only that value's rows (the column's postings): every page, cursor and row as the scan."""
    from zhengtong.datastore.engine import rowindex

    settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT = 100
    table = _table()
    version = engine.write_version("gendrive", {"raw": table, "public": table})
    engine.activate("gendrive", version)
    driven = []
    real_driver = rowindex._driver
    monkeypatch.setattr(rowindex, "_driver", lambda *a: driven.append(real_driver(*a)) or driven[-1])

    def every_page(case):
        rows, after = [], None
        while True:
            page = engine.query("gendrive", version, "raw", schema=SCHEMA, after=after, count="none", **case)
            rows.extend(page.rows)
            after = page.next_cursor
            if not after:
                return page.engine, rows

    indexed = [every_page(case) for case in DRIVEN_CASES]
    assert driven and all(d is not None for d in driven)  # every page was driven by one filter
    monkeypatch.setattr(store_module, "ROW_INDEXED_VARIANTS", ("public",))  # the same files, scanned
    scanned = [every_page(case) for case in DRIVEN_CASES]
    for (i_engine, i_rows), (s_engine, s_rows) in zip(indexed, scanned, strict=True):
        assert (i_engine, s_engine) == ("index", "duckdb")
        assert i_rows == s_rows
    assert [len(r) for _e, r in indexed][-1] == 0 and all(len(r) > 3 for _e, r in indexed[:-1])


def test_take_rows_reads_across_record_batches_in_the_order_asked(tmp_path):
    """Page rows and the rank window come from the batches they fall in, in the order asked."""
    from zhengtong.datastore.engine.rowfiles import take_rows

    table = _table()
    path = tmp_path / "rows.arrow"
    with pa.ipc.new_file(str(path), table.schema) as writer:
        writer.write_table(table, max_chunksize=256)  # 12 record batches
    mapped = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    positions = [2999, 0, 257, 256, 1500, 255, 2048, 0]
    assert take_rows(mapped, positions).to_pylist() == table.take(positions).to_pylist()
    assert take_rows(mapped.column("name"), sorted(positions)).to_pylist() == (
        table.column("name").take(sorted(positions)).to_pylist()
    )
    assert take_rows(mapped, []).num_rows == 0


def test_an_earlier_text_index_is_replaced_when_the_version_is_activated(both, store):
    """A version written by a release with the FTS5 text index: activating it removes those
    files and builds the posting lists."""
    key, version = both
    folder = store / key / f"v{version}"
    (folder / "public.grams.bin").unlink()
    for legacy in ("public.fts.sqlite", "public.bigram.sqlite"):
        (folder / legacy).write_bytes(b"SQLite format 3\0")
    assert engine.query(key, version, "public", schema=SCHEMA, q="信宏", limit=5).engine == "duckdb"
    engine.activate(key, version)
    assert _structure_files(store, key, version) == sorted(STRUCTURE_FILES)
    assert not (folder / "public.fts.sqlite").exists() and not (folder / "public.bigram.sqlite").exists()
    assert engine.query(key, version, "public", schema=SCHEMA, q="信宏", limit=5).engine == "index"


EXTRA_FILTERS = [
    ("status", "in", ["存续", "吊销"]),  # two codes apart: no single run of the posting order
    ("status", "eq", "注销"),
    ("status", "ne", "存续"),
    ("district", "startswith", "西"),
    ("employees", "lte", 12),
    ("employees", "isnull", False),
    ("founded", "lte", "1999-12-31"),
    ("active", "eq", "false"),
]


def test_generated_filter_combinations_match_the_scan(both, path):
    """Random combinations of one to three filters (every operator, the same column twice, row
    numbers), each sort, both count modes: the same rows, order, totals and cursors as the scan."""
    rnd = random.Random(18)
    pool = FILTERS + ROW_FILTERS + EXTRA_FILTERS
    sorts = [[], *SORTS, ["-status"], ["employees"]]
    key, version = both
    compared = 0
    for _case in range(30):
        filters = rnd.sample(pool, rnd.randint(1, 3))
        sort = rnd.choice(sorts)
        count = rnd.choice(["exact", "none"])
        after = {"public": None, "raw": None}
        for _page in range(2):
            limit = 29
            indexed = engine.query(
                key, version, "public", schema=SCHEMA, filters=filters, sort=sort, count=count, limit=limit,
                after=after["public"], row_numbers=True,
            )  # fmt: skip
            scanned = engine.query(
                key, version, "raw", schema=SCHEMA, filters=filters, sort=sort, count=count, limit=limit,
                after=after["raw"], row_numbers=True,
            )  # fmt: skip
            assert indexed.engine == "index" and scanned.engine == "duckdb", filters
            assert indexed.rows == scanned.rows, (filters, sort)
            assert indexed.total == scanned.total, (filters, sort)
            assert _payload(indexed.next_cursor) == _payload(scanned.next_cursor), (filters, sort)
            compared += len(indexed.rows)
            after = {"public": indexed.next_cursor, "raw": scanned.next_cursor}
            if not indexed.next_cursor:
                break
        indexed, scanned = _pair(both, filters=filters, sort=sort, limit=11, offset=rnd.randint(0, 300))
        _same(indexed, scanned)
    assert compared > 500  # the combinations are not all empty


def _payload(cursor):
    return None if cursor is None else decode_cursor(cursor)


def _format_1(index):
    """The same index as a format 1 file reads: no posting orders."""
    import dataclasses

    return rowfiles.RowIndex(
        rows=index.rows,
        columns={n: dataclasses.replace(c, order=None, _starts=None) for n, c in index.columns.items()},
    )


PARSED = [
    [("district", "eq", "拱墅区")],
    [("district", "eq", "拱墅区"), ("status", "eq", "存续"), ("capital", "lt", 50.0)],
    [("status", "in", ["存续", "吊销"]), ("employees", "gte", 10)],
    [("district", "contains", "湖"), ("founded", "gte", dt.date(2000, 1, 1))],
    [("capital", "isnull", True), ("active", "eq", True)],
    [("employees", "in", [1, 2, 3]), (engine.ROW, "gt", 1000)],
    [("checked", "lte", dt.datetime(2024, 1, 2)), ("district", "ne", "上城区")],
    [("district", "eq", "不存在区")],
]


@pytest.mark.parametrize("parsed", PARSED, ids=[",".join(f"{f}{o}" for f, o, _v in p) for p in PARSED])
def test_posting_lists_give_the_answers_of_a_mask(tmp_path, monkeypatch, parsed):
    """The stored posting order is each column's stable argsort; the sorted orders made from it
    are the ones a format 1 file's argsort makes; select and page give the same positions, order
    and totals as the mask over every row (a format 1 file), for each sort and both walks."""
    table = _table()
    paths = str(tmp_path / "t.idx.arrow"), str(tmp_path / "t.keys.arrow")
    rowfiles.build(table, *paths, max_text_distinct=100)
    index = rowfiles.load(*paths)
    old = _format_1(index)
    assert (
        {n for n, c in index.columns.items() if c.order is not None}
        == set(index.columns)
        >= {
            "district",
            "capital",
            "founded",
            "checked",
            "active",
        }
    )
    for name, col in index.columns.items():
        assert col.order.tolist() == np.argsort(col.codes, kind="stable").tolist()
        starts = col.starts()
        assert (
            starts[-1] == index.rows
            and (col.codes[col.order] == np.repeat(np.arange(col.n + 1), np.diff(starts))).all()
        )
        for direction in ("asc", "desc"):
            perm, keys = rowindex._sorted_order(index, name, direction)
            old_perm, old_keys = rowindex._sorted_order(old, name, direction)
            assert perm.tolist() == old_perm.tolist() and keys.tolist() == old_keys.tolist()
    monkeypatch.setattr(rowindex, "POSTING_SHARE", 1.0)
    for walk in (0, float("inf")):
        monkeypatch.setattr(rowindex, "WALK_FACTOR", walk)
        found, masked = rowindex.select(index, parsed), rowindex.select(old, parsed)
        assert found.mask is None and masked.mask is not None  # the posting path and the mask
        assert found.total == masked.total
        assert found.positions(row_order=True).tolist() == masked.positions().tolist()
        for order in (
            [],
            [("capital", "desc")],
            [("district", "asc")],
            [("employees", "desc"), ("founded", "asc")],
        ):
            for offset in (0, 7):
                got = rowindex.page(index, rowindex.select(index, parsed), order, limit=25, offset=offset)
                want = rowindex.page(old, rowindex.select(old, parsed), order, limit=25, offset=offset)
                assert got[0].tolist() == want[0].tolist() and got[1] == want[1], (order, offset)


def test_the_row_copy_is_one_record_batch(both, store):
    """The Arrow copy a page's rows are taken from: the table's one chunk as one record batch
    (one take per column, not one per 65,536-row batch)."""
    key, version = both
    mapped = pa.ipc.open_file(pa.memory_map(str(store / key / f"v{version}" / "public.arrow"), "r"))
    assert mapped.num_record_batches == 1 and mapped.read_all().num_rows == N
