"""The SQL sandbox's limits hold in a child process, and settings, paths and the catalog stay hidden."""

import datetime as dt
import decimal
import resource
import signal
import subprocess
import sys
import time
import uuid

import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine
from zhengtong.datastore.engine import sandbox


def _sql_error(info) -> str:
    return " ".join(info.value.fields["sql"])


@pytest.fixture
def small_memory(settings):
    settings.DATASTORE_SQL_MEMORY_LIMIT = "64MB"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT length(repeat('x', 200000000))",
        "SELECT length(lpad('', 1000000000, 'y'))",
        "SELECT length(repeat('x', 2000000000))",
    ],
)
def test_memory_limit_holds_and_worker_is_unharmed(people, small_memory, sql):
    key, version, _schema = people
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        engine.run_sql(key, version, "public", sql, timeout_s=5)
    elapsed = time.monotonic() - started
    assert _sql_error(info) == "exceeded the memory limit of 64 MB and was stopped"
    assert elapsed < 5
    # the string was never built in this process (ru_maxrss is in KiB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000
    # the sandbox still answers afterwards
    assert engine.run_sql(key, version, "public", "SELECT count(*) FROM data")[1] == [(5,)]


def test_time_limit_stops_the_query(people):
    key, version, _schema = people
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        engine.run_sql(
            key,
            version,
            "public",
            "SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range * b.range = 7",
            timeout_s=1,
        )
    assert _sql_error(info) == "took longer than 1 seconds and was stopped"
    assert time.monotonic() - started < 1 + sandbox._STARTUP_S


def test_child_is_killed_at_the_wall_clock_limit(people, monkeypatch):
    key, version, _schema = people
    monkeypatch.setattr(sandbox, "_STARTUP_S", 0)
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        engine.run_sql(key, version, "public", "SELECT 1", timeout_s=0.05)
    assert _sql_error(info) == "took longer than 0.05 seconds and was stopped"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM duckdb_settings()", "may not call duckdb_settings"),
        ('SELECT * FROM "DuckDB_Settings"()', "may not call duckdb_settings"),
        ("SELECT current_setting('temp_directory')", "may not call current_setting"),
        ("SELECT sql FROM duckdb_views()", "may not call duckdb_views"),
        ("SELECT * FROM (SELECT * FROM duckdb_databases()) d", "may not call duckdb_databases"),
        ("SELECT getenv('HOME')", "may not call getenv"),
        ("SELECT pg_get_viewdef('data')", "may not call pg_get_viewdef"),
        ("SELECT * FROM query('SELECT * FROM duckdb_settings()')", "may not call query"),
        ("SELECT version(), platform()", "may not call platform, version"),
        ("SELECT * FROM read_parquet('public.parquet')", "may not call read_parquet"),
        ("SELECT * FROM glob('*')", "may not call glob"),
        ("SELECT * FROM parquet_metadata('public.parquet')", "may not call parquet_metadata"),
        ("SELECT * FROM pragma_version()", "may not call pragma_version"),
        ("SELECT * FROM sqlite_master", "may only read the table data, not sqlite_master"),
        ("SELECT * FROM information_schema.tables", "may only read the table data, not tables"),
        ("SELECT * FROM main.data", "may only read the table data, not data"),
        ("SELECT * FROM '/etc/passwd'", "may only read the table data, not /etc/passwd"),
        (
            "SELECT * FROM data WHERE city IN (SELECT current_setting('threads'))",
            "may not call current_setting",
        ),
    ],
)
def test_settings_paths_and_catalog_are_hidden(people, sql, message):
    key, version, _schema = people
    with pytest.raises(ValidationError) as info:
        engine.run_sql(key, version, "public", sql)
    assert _sql_error(info) == message


def test_allowed_forms_still_run(people):
    key, version, _schema = people
    sql = (
        "WITH c AS (SELECT city, count(*) AS n FROM data GROUP BY city) "
        "SELECT c.city, c.n, pg_typeof(c.n) AS t FROM c, range(1) ORDER BY c.n DESC, c.city"
    )
    columns, rows = engine.run_sql(key, version, "public", sql)
    assert columns == ["city", "n", "t"]
    assert rows == [("杭州", 3, "bigint"), ("宁波", 1, "bigint"), ("金华", 1, "bigint")]
    _c, rows = engine.run_sql(key, version, "public", "SELECT 1 AS a, 2 AS a")
    assert _c == ["a", "a"] and rows == [(1, 2)]


def test_errors_do_not_reveal_the_store_path(people, store):
    key, version, _schema = people
    with pytest.raises(ValidationError) as info:
        engine.run_sql(key, version, "public", "SELECT nosuch FROM data")
    assert _sql_error(info).startswith("failed: Binder Error")
    assert str(store) not in _sql_error(info)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512MB", 512_000_000), ("64 MiB", 64 * 1024**2), ("1GB", 10**9), ("0.5GiB", 2**29)],
)
def test_memory_limit_setting_is_parsed_like_duckdb(text, expected):
    assert sandbox.memory_limit_bytes(text) == expected


def test_cells_come_back_as_in_process(people):
    key, version, _schema = people
    sql = (
        "SELECT INTERVAL 3 DAY AS i, '4d54da30-f88a-49f6-89e0-16159957e51e'::UUID AS u, "
        "[DATE '2024-01-02'] AS l, {'k': 1.5::DECIMAL(3, 1)} AS s, MAP {1: 'a'} AS m, "
        "'ab'::BLOB AS b, DATE '2024-02-03' AS d, 2.5::DECIMAL(4, 1) AS x, 'infinity'::DATE AS inf"
    )
    _c, rows = engine.run_sql(key, version, "public", sql)
    assert rows == [
        (
            dt.timedelta(days=3),
            uuid.UUID("4d54da30-f88a-49f6-89e0-16159957e51e"),
            [dt.date(2024, 1, 2)],
            {"k": decimal.Decimal("1.5")},
            {1: "a"},
            "YWI=",
            "2024-02-03",
            2.5,
            "9999-12-31",
        )
    ]


_LIMITED = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("child", sys.argv[1])
child = importlib.util.module_from_spec(spec)
spec.loader.exec_module(child)
child._limit(64_000_000, 0.1)
if sys.argv[2] == "memory":
    try:
        bytearray(200_000_000)
    except MemoryError:
        print("MemoryError")
else:
    while True:
        pass
"""


def test_child_limits_are_enforced_by_the_kernel():
    """RLIMIT_AS and RLIMIT_CPU as the child sets them, beyond anything DuckDB checks itself."""
    memory = subprocess.run(
        [sys.executable, "-I", "-c", _LIMITED, str(sandbox._CHILD), "memory"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (memory.returncode, memory.stdout.strip()) == (0, b"MemoryError")
    started = time.monotonic()
    cpu = subprocess.run(
        [sys.executable, "-I", "-c", _LIMITED, str(sandbox._CHILD), "cpu"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert cpu.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
    assert time.monotonic() - started < 15
