"""Immutable versions: atomic writes, append, activation, failures that lose nothing."""

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datastore import engine
from zhengtong.datastore.storage import LocalStorage, check_key, get_storage


def small(values):
    return pa.table({"a": pa.array(values, pa.int64()), "b": pa.array([str(v) for v in values])})


SCHEMA = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]}


def test_write_replace_and_activate(store):
    v1 = engine.write_version("t1", {"raw": small([1, 2]), "public": small([1, 2])})
    assert v1 == 1
    assert engine.active_version("t1") is None
    engine.activate("t1", v1)
    assert engine.active_version("t1") == 1
    v2 = engine.write_version("t1", {"raw": small([3]), "public": small([3])})
    assert v2 == 2 and engine.versions("t1") == [1, 2]
    assert engine.active_version("t1") == 1  # not visible until activated
    engine.activate("t1", v2)
    assert engine.active_version("t1") == 2
    # each version keeps its own rows; files are Parquet with the hidden _row column
    assert engine.query("t1", 1, "raw", schema=SCHEMA).total == 2
    assert engine.query("t1", 2, "raw", schema=SCHEMA).total == 1
    path = store / "t1" / "v1" / "raw.parquet"
    assert pq.read_table(path).column_names == ["a", "b", "_row"]
    assert engine.manifest("t1", 1)["variants"]["raw"]["rows"] == 2
    assert not list((store / "_tmp").iterdir())


def test_append_makes_new_version_with_old_and_new_rows():
    v1 = engine.write_version("t2", {"raw": small([1, 2])})
    engine.activate("t2", v1)
    v2 = engine.write_version("t2", {"raw": small([3])}, mode="append")
    result = engine.query("t2", v2, "raw", schema=SCHEMA, sort=[("a", "asc")])
    assert [r["a"] for r in result.rows] == [1, 2, 3]
    assert engine.query("t2", v1, "raw", schema=SCHEMA).total == 2  # base untouched
    v3 = engine.write_version("t2", {"raw": small([9])}, mode="append", base_version=v1)
    assert engine.query("t2", v3, "raw", schema=SCHEMA).total == 3


def test_append_rejects_other_columns_or_types():
    v1 = engine.write_version("t3", {"raw": small([1])})
    with pytest.raises(ValidationError):
        engine.write_version("t3", {"raw": pa.table({"x": [1]})}, mode="append", base_version=v1)
    with pytest.raises(ValidationError):
        engine.write_version(
            "t3", {"raw": pa.table({"a": ["x"], "b": ["y"]})}, mode="append", base_version=v1
        )
    with pytest.raises(ValidationError):
        engine.write_version("t3", {"public": small([1])}, mode="append", base_version=v1)
    with pytest.raises(ValidationError):
        engine.write_version("none", {"raw": small([1])}, mode="append")
    assert engine.versions("t3") == [1]


def test_failure_mid_write_leaves_previous_versions(monkeypatch, store):
    v1 = engine.write_version("t4", {"raw": small([1]), "public": small([1])})
    engine.activate("t4", v1)
    calls = {"n": 0}
    real = pq.write_table  # the Parquet writer fails as a full disk would

    def failing(table, path, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the second variant's file: the first one is already in place
            raise OSError("disk full")
        real(table, path, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing)
    with pytest.raises(OSError):
        engine.write_version("t4", {"raw": small([5, 6]), "public": small([5, 6])})
    assert engine.versions("t4") == [1]
    assert engine.active_version("t4") == 1
    assert not (store / "t4" / "v2").exists()
    assert not list((store / "_tmp").iterdir())
    assert engine.query("t4", 1, "public", schema=SCHEMA).rows == [{"a": 1, "b": "1"}]
    with pytest.raises(NotFound):
        engine.query("t4", 2, "public", schema=SCHEMA)
    monkeypatch.setattr(pq, "write_table", real)
    assert engine.write_version("t4", {"raw": small([7])}) == 2


def test_interrupt_during_rename(monkeypatch):
    v1 = engine.write_version("t5", {"raw": small([1])})
    storage = get_storage()
    real_put = storage.put

    def put(key, path):
        if key.endswith("manifest.json"):
            raise KeyboardInterrupt
        real_put(key, path)

    monkeypatch.setattr(storage, "put", put)
    with pytest.raises(KeyboardInterrupt):
        engine.write_version("t5", {"raw": small([2])})
    monkeypatch.undo()
    assert engine.versions("t5") == [v1]


def test_activate_unknown_version():
    with pytest.raises(NotFound):
        engine.activate("t6", 3)


@pytest.mark.parametrize("key", ["../x", "a/b", "", "x" * 200, "a b"])
def test_bad_table_keys(key):
    with pytest.raises(ValidationError):
        engine.write_version(key, {"raw": small([1])})


def test_bad_variants_and_mode():
    with pytest.raises(ValidationError):
        engine.write_version("t7", {"secret": small([1])})
    with pytest.raises(ValidationError):
        engine.write_version("t7", {"raw": small([1])}, mode="merge")
    with pytest.raises(ValidationError):
        engine.query("t7", 1, "secret", schema=SCHEMA)


def test_local_storage(tmp_path):
    storage = LocalStorage(tmp_path / "s")
    tmp = storage.temp_file(".bin")
    with open(tmp, "wb") as fh:
        fh.write(b"hello")
    storage.put("k/v1/file.bin", tmp)
    assert not os.path.exists(tmp)
    assert storage.exists("k/v1/file.bin")
    with storage.open("k/v1/file.bin") as fh:
        assert fh.read() == b"hello"
    assert storage.list("k") == ["v1"]
    assert storage.create_exclusive("k/lock")
    assert not storage.create_exclusive("k/lock")
    with pytest.raises(ValueError):
        storage.open("k/v1/file.bin", "wb")
    storage.delete("k/")
    assert not storage.exists("k/v1/file.bin")
    for bad in ("../etc/passwd", "/abs", "a/../b", ".hidden"):
        with pytest.raises(ValueError):
            check_key(bad)


def test_delete_table():
    engine.write_version("t8", {"raw": small([1])})
    engine.delete_table("t8")
    assert engine.versions("t8") == []
