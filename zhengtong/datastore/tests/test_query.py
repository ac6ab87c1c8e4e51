"""query(): filters, sorting, keyset and offset paging, q, facets, aggregates, totals, bad input."""

import threading

import pytest

from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datastore import engine
from zhengtong.datastore.engine import store as store_module


def names(result):
    return [r["name"] for r in result.rows]


@pytest.mark.parametrize(
    "filters,expected",
    [
        ([("city", "eq", "杭州")], {"张三", "王五", "=HYPERLINK(1)"}),
        ([("city", "ne", "杭州")], {"李四", "赵六"}),
        ([("age", "gt", "34")], {"赵六", "=HYPERLINK(1)"}),
        ([("age", "gte", 34)], {"张三", "赵六", "=HYPERLINK(1)"}),
        ([("age", "lt", 34)], {"李四"}),
        ([("age", "lte", 34)], {"张三", "李四"}),
        ([("city", "in", ["金华", "宁波"])], {"李四", "赵六"}),
        ([("city", "in", "金华,宁波")], {"李四", "赵六"}),
        ([("city", "in", [])], set()),
        ([("name", "contains", "五")], {"王五"}),
        ([("name", "startswith", "=")], {"=HYPERLINK(1)"}),
        ([("age", "isnull", True)], {"王五"}),
        ([("age", "isnull", "false")], {"张三", "李四", "赵六", "=HYPERLINK(1)"}),
        ([("joined", "gte", "2020-01-01"), ("active", "eq", "true")], {"张三"}),
        ([("score", "gt", 80.0), ("city", "eq", "杭州")], {"张三"}),
        ([{"field": "city", "op": "eq", "value": "宁波"}], {"赵六"}),
    ],
)
def test_filters(people, filters, expected):
    key, version, schema = people
    result = engine.query(key, version, "public", schema=schema, filters=filters)
    assert set(names(result)) == expected
    assert result.total == len(expected)


def test_rows_are_json_friendly_and_fields_selected(people):
    key, version, schema = people
    result = engine.query(
        key, version, "public", schema=schema, fields=["name", "joined"], sort=[("joined", "asc")], limit=2
    )
    assert result.rows == [
        {"name": "=HYPERLINK(1)", "joined": "2018-05-05"},
        {"name": "王五", "joined": "2019-12-31"},
    ]
    assert [f["name"] for f in result.fields] == ["name", "joined"]
    assert result.total == 5 and result.next_cursor


def test_multi_column_sort_with_nulls_last(people):
    key, version, schema = people
    result = engine.query(key, version, "public", schema=schema, sort=[("city", "asc"), ("age", "desc")])
    assert names(result) == ["赵六", "=HYPERLINK(1)", "张三", "王五", "李四"]
    result = engine.query(key, version, "public", schema=schema, sort=["-score"])
    assert names(result)[-1] == "赵六"  # null score last


@pytest.mark.parametrize(
    "sort",
    [
        None,
        [("value", "asc")],
        [("value", "desc")],
        [("group", "asc"), ("value", "desc")],
        [("label", "desc")],
    ],
)
def test_keyset_pages_cover_every_row_once(numbers, sort):
    key, version, schema, table = numbers
    seen = []
    after = None
    pages = 0
    while True:
        result = engine.query(
            key, version, "public", schema=schema, sort=sort, limit=17, after=after, count="none"
        )
        seen.extend(r["id"] for r in result.rows)
        pages += 1
        after = result.next_cursor
        if not after:
            break
    assert sorted(seen) == list(range(1, 201))
    assert len(seen) == 200
    assert pages == 12
    full = engine.query(key, version, "public", schema=schema, sort=sort, limit=200, count="none")
    assert [r["id"] for r in full.rows] == seen


def test_keyset_with_filters(numbers):
    key, version, schema, _table = numbers
    filters = [("group", "eq", "g3")]
    first = engine.query(
        key, version, "public", schema=schema, filters=filters, sort=[("value", "desc")], limit=10
    )
    second = engine.query(
        key,
        version,
        "public",
        schema=schema,
        filters=filters,
        sort=[("value", "desc")],
        limit=10,
        after=first.next_cursor,
    )
    ids = [r["id"] for r in first.rows + second.rows]
    assert len(set(ids)) == 20
    assert all(r["group"] == "g3" for r in first.rows + second.rows)
    assert first.total == second.total == len([i for i in range(200) if i % 7 == 3])


def test_offset(numbers):
    key, version, schema, _table = numbers
    result = engine.query(key, version, "public", schema=schema, offset=195, limit=10)
    assert [r["id"] for r in result.rows] == [196, 197, 198, 199, 200]
    assert result.next_cursor is None
    sorted_ = engine.query(key, version, "public", schema=schema, offset=5, limit=3, sort=[("id", "desc")])
    assert [r["id"] for r in sorted_.rows] == [195, 194, 193]
    with pytest.raises(ValidationError):
        engine.query(
            key, version, "public", schema=schema, offset=5, after=sorted_.next_cursor, sort=[("id", "desc")]
        )


def test_q_substring_over_text_fields(people, numbers):
    key, version, schema = people
    assert set(names(engine.query(key, version, "public", schema=schema, q="杭州"))) == {
        "张三",
        "王五",
        "=HYPERLINK(1)",
    }
    assert names(engine.query(key, version, "public", schema=schema, q="hyperlink")) == ["=HYPERLINK(1)"]
    assert names(engine.query(key, version, "public", schema=schema, q="%")) == []
    key, version, schema, _t = numbers
    assert engine.query(key, version, "public", schema=schema, q="item 01").total == 10
    assert engine.query(key, version, "public", schema=schema, q="ITEM_0").total == 0  # _ is not a wildcard


def test_q_skips_fields_marked_unsearchable(people):
    key, version, schema = people
    narrowed = {
        **schema,
        "fields": [{**f, "searchable": False} if f["name"] == "city" else f for f in schema["fields"]],
    }
    assert engine.query(key, version, "public", schema=narrowed, q="杭州").rows == []
    assert names(engine.query(key, version, "public", schema=narrowed, q="三")) == ["张三"]
    assert names(engine.query(key, version, "public", schema=narrowed, filters=[("city", "eq", "宁波")])) == [
        "赵六"
    ]


def test_facets(people):
    key, version, schema = people
    result = engine.query(key, version, "public", schema=schema, limit=0, facets=["city", "active"])
    assert result.rows == []
    assert result.facets["city"] == [("杭州", 3), ("宁波", 1), ("金华", 1)]
    assert dict(result.facets["active"]) == {True: 3, False: 2}
    filtered = engine.query(
        key, version, "public", schema=schema, limit=0, facets=["city"], filters=[("active", "eq", True)]
    )
    assert filtered.facets["city"] == [("杭州", 3)]
    top = engine.query(key, version, "public", schema=schema, limit=0, facets=["city"], facet_size=1)
    assert top.facets["city"] == [("杭州", 3)]


def test_group_by_aggregates(people):
    key, version, schema = people
    result = engine.query(
        key,
        version,
        "public",
        schema=schema,
        limit=0,
        group_by=["city"],
        aggregates=[("count", "*"), ("sum", "age"), ("avg", "score"), ("min", "joined"), ("max", "age")],
    )
    by_city = {r["city"]: r for r in result.aggregates}
    assert by_city["杭州"]["count"] == 3
    assert by_city["杭州"]["sum_age"] == 85
    assert by_city["杭州"]["min_joined"] == "2018-05-05"
    assert by_city["宁波"]["avg_score"] is None
    totals = engine.query(
        key, version, "public", schema=schema, limit=0, aggregates=[("count", "age"), ("max", "score")]
    )
    assert totals.aggregates == [{"count_age": 4, "max_score": 92.0}]


def test_total_modes(numbers, settings, monkeypatch):
    key, version, schema, _t = numbers
    assert engine.query(key, version, "public", schema=schema, count="none").total is None
    unfiltered = engine.query(key, version, "public", schema=schema, count="estimate")
    assert (unfiltered.total, unfiltered.total_is_estimate) == (200, False)
    settings.DATASTORE_EXACT_COUNT_LIMIT = 50
    small = engine.query(
        key, version, "public", schema=schema, filters=[("group", "eq", "g1")], count="estimate"
    )
    assert (small.total, small.total_is_estimate) == (29, False)
    # the row index of the served (public) variant counts exactly in the page's pass
    indexed = engine.query(
        key, version, "public", schema=schema, filters=[("id", "gt", 10)], count="estimate"
    )
    assert (indexed.total, indexed.total_is_estimate, indexed.count_method) == (190, False, "index")
    # without a row index (the raw variant's, left unread here) DuckDB estimates beyond the
    # limit and says so
    monkeypatch.setattr(store_module, "ROW_INDEXED_VARIANTS", ("public",))
    big = engine.query(key, version, "raw", schema=schema, filters=[("id", "gt", 10)], count="estimate")
    assert big.total_is_estimate and big.total > 50 and big.count_method == "sample"
    exact = engine.query(key, version, "raw", schema=schema, filters=[("id", "gt", 10)], count="exact")
    assert (exact.total, exact.total_is_estimate, exact.count_method) == (190, False, "scan")


def test_page_size_cap(numbers, settings):
    key, version, schema, _t = numbers
    settings.DATASTORE_MAX_PAGE_SIZE = 100
    for limit in (101, 10**9, -1, "50", True):
        with pytest.raises(ValidationError) as info:
            engine.query(key, version, "public", schema=schema, limit=limit)
        assert "limit" in info.value.fields


INJECTIONS = [
    'name"; DROP TABLE x; --',
    "name) OR 1=1 --",
    "1; SELECT * FROM read_csv('/etc/passwd')",
    "_row",
    "*",
]


@pytest.mark.parametrize("bad", INJECTIONS)
def test_identifiers_are_checked_against_schema(people, bad):
    key, version, schema = people
    for kwargs, field in (
        ({"filters": [(bad, "eq", "x")]}, "filters"),
        ({"sort": [(bad, "asc")]}, "sort"),
        ({"fields": [bad]}, "fields"),
        ({"facets": [bad]}, "facets"),
        ({"group_by": [bad]}, "group_by"),
        ({"aggregates": [("sum", bad)]}, "aggregates"),
    ):
        with pytest.raises(ValidationError) as info:
            engine.query(key, version, "public", schema=schema, **kwargs)
        assert field in info.value.fields
        if bad == "_row" and field == "filters":
            # the row number may be filtered on (Datasette's rowid), as an integer only
            assert "is not a valid integer" in info.value.message
            continue
        assert "unknown field" in info.value.message


@pytest.mark.parametrize("value", ["' OR '1'='1", "杭州'; DROP TABLE data; --", "%", "\\", "') OR ('a'='a"])
def test_values_are_parameters(people, value):
    key, version, schema = people
    for op in ("eq", "contains", "startswith", "in"):
        result = engine.query(key, version, "public", schema=schema, filters=[("city", op, value)])
        assert result.rows == [] and result.total == 0
    assert engine.query(key, version, "public", schema=schema, q=value).total == 0


def test_bad_operators_directions_and_values(people):
    key, version, schema = people
    bad_calls = [
        {"filters": [("city", "regex", "x")]},
        {"filters": [("joined", "date", "not-a-date")]},
        {"filters": [("city", "like", ["x"])]},
        {"filters": [("city", "eq")]},
        {"filters": ["city"]},
        {"filters": [("age", "gt", "old")]},
        {"filters": [("age", "eq", 1.5)]},
        {"filters": [("score", "gt", "nan")]},
        {"filters": [("joined", "gt", "yesterday")]},
        {"filters": [("active", "eq", "perhaps")]},
        {"filters": [("city", "eq", None)]},
        {"filters": [("city", "eq", {"$ne": 1})]},
        {"filters": [("city", "in", list(range(1001)))]},
        {"sort": [("city", "sideways")]},
        {"sort": [("city", "asc; DROP")]},
        {"aggregates": [("median", "age")]},
        {"aggregates": [("sum", "city")]},
        {"fields": "name"},
        {"q": "x" * 201},
        {"facets": ["city"], "facet_size": 0},
        {"count": "maybe"},
        {"offset": -1},
        {"after": "not-a-cursor"},
    ]
    for kwargs in bad_calls:
        with pytest.raises(ValidationError):
            engine.query(key, version, "public", schema=schema, **kwargs)


def test_cursor_is_signed_and_bound_to_table_and_sort(people, numbers):
    key, version, schema = people
    result = engine.query(key, version, "public", schema=schema, limit=1, sort=[("age", "asc")])
    token = result.next_cursor
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for kwargs in (
        {"after": tampered, "sort": [("age", "asc")]},
        {"after": token, "sort": [("age", "desc")]},
    ):
        with pytest.raises(ValidationError):
            engine.query(key, version, "public", schema=schema, limit=1, **kwargs)
    nkey, nversion, nschema, _t = numbers
    with pytest.raises(ValidationError):
        engine.query(nkey, nversion, "public", schema=nschema, after=token, sort=[("id", "asc")])


def test_unknown_version_or_table(people):
    key, version, schema = people
    with pytest.raises(NotFound):
        engine.query(key, version + 5, "public", schema=schema)
    with pytest.raises(NotFound):
        engine.query("nothing", 1, "public", schema=schema)


def test_schema_fields_missing_from_file_are_unknown(people):
    key, version, schema = people
    wider = {"fields": schema["fields"] + [{"name": "secret", "type": "string"}]}
    with pytest.raises(ValidationError):
        engine.query(key, version, "public", schema=wider, fields=["secret"])
    narrower = {"fields": [f for f in schema["fields"] if f["name"] != "age"]}
    result = engine.query(key, version, "public", schema=narrower, limit=1)
    assert "age" not in result.rows[0]


def test_threads_share_the_engine(numbers):
    key, version, schema, _t = numbers
    errors, totals = [], []

    def work(group):
        try:
            for _ in range(5):
                result = engine.query(
                    key,
                    version,
                    "public",
                    schema=schema,
                    filters=[("group", "eq", group)],
                    facets=["group"],
                    sort=["-value"],
                )
                totals.append(result.total)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"g{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(totals) == 30


def test_counts_and_facets_come_from_the_one_result_cache(numbers, monkeypatch):
    from zhengtong.core import cache

    key, version, schema, _t = numbers
    computed = []
    real = cache.cached

    def spy(namespace, k, compute, timeout, **kw):
        return real(namespace, k, lambda: computed.append(namespace) or compute(), timeout, **kw)

    # (DuckDB: the row indexes answer facets without the cache; the raw variant's is left unread)
    monkeypatch.setattr(store_module, "ROW_INDEXED_VARIANTS", ("public",))
    monkeypatch.setattr(cache, "cached", spy)
    ask = dict(schema=schema, facets=["group"], limit=0)
    first = engine.query(key, version, "raw", **ask).facets["group"]
    n = len(computed)
    assert n >= 1 and set(computed) == {engine.RESULTS_CACHE}
    assert engine.query(key, version, "raw", **ask).facets["group"] == first
    assert len(computed) == n
    engine.clear_caches()
    assert engine.query(key, version, "raw", **ask).facets["group"] == first
    assert len(computed) == 2 * n


def test_result_cache_can_be_off(numbers, settings):
    key, version, schema, _t = numbers
    settings.DATASTORE_RESULT_CACHE = 0
    assert (
        engine.query(key, version, "public", schema=schema, facets=["group"], limit=0).facets["group"][0][1]
        == 29
    )


def test_filtered_pages_in_file_order(numbers):
    key, version, schema, _t = numbers
    seen, after = [], None
    while True:
        result = engine.query(
            key,
            version,
            "public",
            schema=schema,
            filters=[("group", "in", ["g1", "g2"])],
            limit=9,
            after=after,
        )
        seen.extend(r["id"] for r in result.rows)
        after = result.next_cursor
        if not after:
            break
    assert seen == [i + 1 for i in range(200) if i % 7 in (1, 2)]


def test_a_column_named_file_row_number():
    import pyarrow as pa

    table = pa.table({"file_row_number": pa.array([3, 1, 2], pa.int64()), "x": ["a", "b", "c"]})
    schema = {"fields": [{"name": "file_row_number", "type": "integer"}, {"name": "x", "type": "string"}]}
    version = engine.write_version("frn", {"public": table})
    first = engine.query("frn", version, "public", schema=schema, sort=[("file_row_number", "asc")], limit=2)
    second = engine.query(
        "frn",
        version,
        "public",
        schema=schema,
        sort=[("file_row_number", "asc")],
        limit=2,
        after=first.next_cursor,
    )
    assert [r["x"] for r in first.rows + second.rows] == ["b", "c", "a"]


def test_datasette_text_and_date_operators_and_row_numbers(numbers):
    """endswith, like (case-insensitive), glob (case-sensitive), and row numbers on request."""
    key, version, schema, _table = numbers
    labels = [f"item {i:03d}" for i in range(200)]

    def names(op, value):
        result = engine.query(
            key,
            version,
            "public",
            schema=schema,
            filters=[("label", op, value)],
            limit=1000,
            row_numbers=True,
        )
        for row in result.rows:
            assert labels[row[engine.ROW] - 1] == row["label"]
        return [r["label"] for r in result.rows]

    assert names("endswith", "07") == [s for s in labels if s.endswith("07")]
    assert names("like", "ITEM 1_9") == [s for s in labels if s.startswith("item 1") and s.endswith("9")]
    assert names("glob", "item 0?5") == [s for s in labels if s[:6] == "item 0" and s[7:] == "5"]
    assert names("glob", "ITEM*") == []
    plain = engine.query(key, version, "public", schema=schema, limit=3)
    assert all(engine.ROW not in row for row in plain.rows)
