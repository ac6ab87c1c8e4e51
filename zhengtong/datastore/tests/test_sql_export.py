"""The ad-hoc SQL sandbox and exports (formula injection neutralized)."""

import csv
import io
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine


def test_select_runs_on_data_view(people):
    key, version, _schema = people
    columns, rows = engine.run_sql(
        key, version, "public", "SELECT city, count(*) AS n FROM data GROUP BY city ORDER BY n DESC, city"
    )
    assert columns == ["city", "n"]
    assert rows[0] == ("杭州", 3)
    assert rows.truncated is False
    columns, _rows = engine.run_sql(key, version, "public", "SELECT * FROM data LIMIT 1")
    assert "_row" not in columns
    _c, rows = engine.run_sql(
        key, version, "public", "WITH x AS (SELECT joined FROM data) SELECT min(joined) FROM x"
    )
    assert rows == [("2018-05-05",)]


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH '/tmp/x.db' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "COPY data TO '/tmp/out.csv'",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "EXPORT DATABASE '/tmp/dump'",
        "PRAGMA version",
        "SET threads = 8",
        "RESET threads",
        "CALL pragma_version()",
        "CREATE TABLE y AS SELECT 1",
        "DROP VIEW data",
        "INSERT INTO data VALUES (1)",
        "DETACH memory",
        "SELECT 1; SELECT 2",
        "SELECT 1; ATTACH 'x' AS y",
        "",
        "SELEC 1",
    ],
)
def test_only_one_select_is_accepted(people, sql):
    key, version, _schema = people
    with pytest.raises(ValidationError) as info:
        engine.run_sql(key, version, "public", sql)
    assert "sql" in info.value.fields


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_parquet('/tmp/*.parquet')",
        "SELECT * FROM glob('/*')",
        "SELECT current_setting('threads') FROM (SELECT set_config('threads', '8'))",
    ],
)
def test_no_external_access(people, sql):
    key, version, _schema = people
    with pytest.raises(ValidationError):
        engine.run_sql(key, version, "public", sql)


def test_other_versions_files_are_not_readable(people, store):
    key, version, _schema = people
    other = store / key / f"v{version}" / "raw.parquet"
    with pytest.raises(ValidationError):
        engine.run_sql(key, version, "public", f"SELECT * FROM read_parquet('{other}')")


def test_row_limit_and_timeout(people):
    key, version, _schema = people
    _c, rows = engine.run_sql(key, version, "public", "SELECT * FROM range(5000)", max_rows=10)
    assert len(rows) == 10 and rows.truncated
    with pytest.raises(ValidationError) as info:
        engine.run_sql(
            key,
            version,
            "public",
            "SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range * b.range = 7",
            timeout_s=0.5,
        )
    assert "sql" in info.value.fields


def _csv_rows(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def test_export_csv_bom_and_formula_neutralization(people):
    key, version, schema = people
    data = b"".join(engine.export(key, version, "public", "csv", schema=schema))
    rows = _csv_rows(data)
    assert rows[0] == ["name", "age", "city", "joined", "score", "active"]
    assert ["'=HYPERLINK(1)", "51", "杭州", "2018-05-05", "60", "true"] in rows
    assert len(rows) == 6


def test_neutralize_rules():
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert engine.neutralize(risky) == "'" + risky
    for safe in ("x=1", "", "中文", 5, None):
        assert engine.neutralize(safe) == safe


def test_export_filters_fields_and_sort(people):
    key, version, schema = people
    data = b"".join(
        engine.export(
            key,
            version,
            "public",
            "csv",
            schema=schema,
            filters=[("city", "eq", "杭州")],
            fields=["name", "age"],
            sort=[("age", "desc")],
        )
    )
    assert _csv_rows(data) == [["name", "age"], ["'=HYPERLINK(1)", "51"], ["张三", "34"], ["王五", ""]]
    with pytest.raises(ValidationError):
        engine.export(key, version, "public", "csv", schema=schema, fields=['name"; --'])


def test_export_xlsx(people, tmp_path):
    key, version, schema = people
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"".join(engine.export(key, version, "public", "xlsx", schema=schema)))
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0] == ["name", "age", "city", "joined", "score", "active"]
    assert values[5][0] == "'=HYPERLINK(1)"
    assert values[1][1] == 34


def test_export_json_and_parquet(people, tmp_path):
    key, version, schema = people
    records = json.loads(b"".join(engine.export(key, version, "public", "json", schema=schema)))
    assert records[0] == {
        "name": "张三",
        "age": 34,
        "city": "杭州",
        "joined": "2020-01-05",
        "score": 88.5,
        "active": True,
    }
    assert len(records) == 5
    path = tmp_path / "out.parquet"
    path.write_bytes(b"".join(engine.export(key, version, "public", "parquet", schema=schema)))
    table = pq.read_table(path)
    assert table.num_rows == 5 and "_row" not in table.column_names
    assert table.schema.field("joined").type == pa.date32()


def test_export_streams_in_batches(numbers):
    key, version, schema, _t = numbers
    chunks = list(engine.export(key, version, "public", "csv", schema=schema, batch_rows=50))
    assert len(chunks) >= 4
    assert len(_csv_rows(b"".join(chunks))) == 201


def test_export_without_schema_and_bad_format(people):
    key, version, _schema = people
    assert len(_csv_rows(b"".join(engine.export(key, version, "public", "csv")))) == 6
    with pytest.raises(ValidationError):
        engine.export(key, version, "public", "pdf")


def test_export_without_schema_filters_as_text(people):
    key, version, _schema = people
    data = b"".join(
        engine.export(key, version, "public", "csv", filters=[("age", "eq", "34")], fields=["name"])
    )
    assert _csv_rows(data) == [["name"], ["张三"]]
