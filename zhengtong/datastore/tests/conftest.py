import pyarrow as pa
import pytest

from zhengtong.datastore import engine


@pytest.fixture(autouse=True)
def store(settings, tmp_path):
    settings.DATASTORE_DIR = str(tmp_path / "store")
    engine.clear_caches()
    yield tmp_path / "store"
    engine.clear_caches()


PEOPLE_CSV = (
    "name,age,city,joined,score,active\n"
    "张三,34,杭州,2020-01-05,88.5,true\n"
    "李四,28,金华,2021-03-04,92,false\n"
    "王五,,杭州,2019-12-31,75.25,true\n"
    "赵六,45,宁波,2022-07-01,,false\n"
    "=HYPERLINK(1),51,杭州,2018-05-05,60,true\n"
)


@pytest.fixture
def people(tmp_path):
    """A small version: (table_key, version, schema)."""
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE_CSV, encoding="utf-8")
    table = engine.read_file(str(path))
    schema = engine.infer_schema(table)
    typed, errors = engine.validate(table, schema)
    assert not errors
    version = engine.write_version("people", {"raw": typed, "public": typed})
    engine.activate("people", version)
    return "people", version, schema


@pytest.fixture
def numbers():
    """200 rows with ties and nulls in the sort column, for paging tests."""
    n = 200
    table = pa.table(
        {
            "id": pa.array(range(1, n + 1), pa.int64()),
            "group": pa.array([f"g{i % 7}" for i in range(n)]),
            "value": pa.array([None if i % 11 == 0 else float(i % 13) for i in range(n)], pa.float64()),
            "label": pa.array([f"item {i:03d}" for i in range(n)]),
        }
    )
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "group", "type": "string"},
            {"name": "value", "type": "number"},
            {"name": "label", "type": "string"},
        ]
    }
    version = engine.write_version("numbers", {"raw": table, "public": table})
    return "numbers", version, schema, table
