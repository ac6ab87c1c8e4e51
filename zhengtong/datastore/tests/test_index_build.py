"""Building the indexes: the vectorised builders give what a plain per-row loop gives.

The n-gram file is compared, key by key, with posting lists collected by a Python loop over the
rows (nulls, empty values, ASCII capitals, characters past the Basic Multilingual Plane, NULs
inside values, n-grams repeated in a row, several free-text columns, and enough distinct
n-grams that the postings are sorted in more than one pass); the row index's column choice with
its first-rows shortcut against counting every distinct value; the raw variant's row index
written with a load (``serve=True``) against the one activation builds from the Parquet file.
"""

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from zhengtong.datastore import engine
from zhengtong.datastore.engine import rowfiles, textindex
from zhengtong.datastore.engine import store as store_module

COMMON = "杭州市西湖区信宏制造建设工程科技贸易餐饮服务电子有限公司分店"
RARE = [chr(c) for c in range(0x4E00, 0x4E00 + 400)]  # many distinct n-grams: two sort passes
ODD = ["𠀀", "𠀁", "A", "b", "Z", "7", " ", "\x00", "é"]


def _texts(rnd: random.Random, n: int) -> list:
    out = []
    for _ in range(n):
        roll = rnd.random()
        if roll < 0.05:
            out.append(None)
        elif roll < 0.08:
            out.append("")
        else:
            pool = rnd.choice([COMMON, RARE, ODD + list(COMMON)])
            out.append("".join(rnd.choice(pool) for _ in range(rnd.randint(1, 14))))
    return out


def _reference(columns: list[list], rows: int) -> dict[int, dict[int, list[int]]]:
    """n -> key -> ascending rows, by a loop over every row and value."""
    levels: dict[int, dict[int, set[int]]] = {n: {} for n in textindex.LEVELS}
    for row in range(rows):
        for values in columns:
            text = values[row] or ""
            text = "".join(ch.lower() if "A" <= ch <= "Z" else ch for ch in text)
            for n in textindex.LEVELS:
                for i in range(len(text) - n + 1):
                    gram = text[i : i + n]
                    key = textindex._key(gram)
                    if "\x00" in gram or key is None:
                        continue
                    levels[n].setdefault(key, set()).add(row)
    return {n: {k: sorted(v) for k, v in keys.items()} for n, keys in levels.items()}


def test_ngram_postings_equal_a_per_row_loop(tmp_path):
    rnd = random.Random(18)
    rows = 4000
    columns = [_texts(rnd, rows), _texts(rnd, rows)]
    table = pa.table({"name": pa.array(columns[0], pa.string()), "note": pa.array(columns[1], pa.string())})
    path = str(tmp_path / "t.grams.bin")
    assert textindex.build(table, path, []) == ["name", "note"]
    grams = textindex._open(path)
    expected = _reference(columns, rows)
    assert len(expected[4]) > 4096  # the postings of that level were sorted in two passes
    for n in textindex.LEVELS:
        keys, offsets, postings = grams.levels[n]
        assert keys.tolist() == sorted(expected[n])
        for at, key in enumerate(keys.tolist()):
            assert postings[offsets[at] : offsets[at + 1]].tolist() == expected[n][key], (n, key)
    textindex.forget()


def test_ngram_file_without_free_text(tmp_path):
    table = pa.table({"code": pa.array(["A1", "B2", None])})
    path = str(tmp_path / "t.grams.bin")
    assert textindex.build(table, path, []) == []
    grams = textindex._open(path)
    assert grams.columns == [] and grams.ascii_only == ["code"] and grams.levels == {}
    textindex.forget()


@pytest.mark.parametrize("limit", [0, 1, 5, 40])
def test_indexable_shortcut_chooses_what_counting_all_chooses(limit):
    rnd = random.Random(limit)
    n = 300
    table = pa.table(
        {
            "unique": pa.array([f"u{i}" for i in range(n)]),
            "late": pa.array(["x"] * 150 + [f"v{i}" for i in range(150)]),  # varied only further down
            "few": pa.array([rnd.choice(["a", "b", "c", None]) for _ in range(n)]),
            "nulls": pa.array([None] * n, pa.string()),
            "number": pa.array([rnd.randint(0, 9) for _ in range(n)]),
        }
    )
    chosen = rowfiles.indexable(table, limit)
    expected = [
        name
        for name in table.column_names
        if name == "number" or pc.count_distinct(table.column(name)).as_py() <= limit
    ]
    assert list(chosen) == expected
    for name, values in chosen.items():
        assert values.equals(pc.unique(table.column(name)).drop_null().sort())


def _row_index(path_idx, path_keys):
    index = rowfiles.load(path_idx, path_keys)
    return {
        name: (col.codes.tolist(), col.values.to_pylist(), col.n, col.kind)
        for name, col in index.columns.items()
    }


def test_raw_row_index_written_with_a_load_equals_the_one_built_on_activation(store, settings):
    settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT = 50
    rnd = random.Random(3)
    table = pa.table(
        {
            "district": pa.array([rnd.choice(["上城区", "西湖区", None]) for _ in range(500)]),
            "amount": pa.array([rnd.choice([1.5, 2.0, None, -3.0]) for _ in range(500)], pa.float64()),
            "name": pa.array([f"企业{i}" for i in range(500)]),
        }
    )
    served = engine.write_version("srv", {"raw": table, "public": table}, serve=True)
    folder = store / "srv" / f"v{served}"
    assert (folder / "raw.idx.arrow").exists() and (folder / "raw.keys.arrow").exists()
    written = _row_index(str(folder / "raw.idx.arrow"), str(folder / "raw.keys.arrow"))
    plain = engine.write_version("srv", {"raw": table, "public": table})
    plain_folder = store / "srv" / f"v{plain}"
    assert not (plain_folder / "raw.idx.arrow").exists()  # built on activation only
    engine.activate("srv", plain)
    built = _row_index(str(plain_folder / "raw.idx.arrow"), str(plain_folder / "raw.keys.arrow"))
    assert written == built and set(written) == {"district", "amount"}
    assert not (folder / "raw.idx.arrow").exists()  # the replaced version's were removed
    store_module.clear_caches()
