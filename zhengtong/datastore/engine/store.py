"""The version store: immutable Parquet versions of a table, the active version, and the files
queries read (the Parquet file of a version's variant, its metadata, its memory-mapped Arrow copy).

Layout under the storage backend: ``<table_key>/v<n>/manifest.json``, ``<table_key>/v<n>/<variant>.parquet``
(and ``.arrow`` row caches), ``<table_key>/active``. A version exists once its manifest is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core import cache
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.datastore.engine import rowfiles, rowindex, textindex
from zhengtong.datastore.engine.results import RESULTS_CACHE
from zhengtong.datastore.schema import ARROW_TYPES
from zhengtong.datastore.storage import check_key, get_storage

ROW = "_row"
VARIANTS = ("raw", "public")
# Variants served to the public get the row index and the text index, written with the version;
# the raw variant (staff, and the sharing grants' interface calls: hundreds a second) gets the
# row index only (no free text search of raw values), built when the version is activated (a
# version written and never served, e.g. a sandbox's synthetic data, does not pay for it).
SERVED_VARIANTS = ("public",)
ROW_INDEXED_VARIANTS = ("public", "raw")
# The files of a variant's row and text indexes (derived: removed when the version is replaced
# or retired, rebuilt when it is activated again).
STRUCTURES = ("idx.arrow", "keys.arrow", "grams.bin")
ROW_INDEX_PARTS = STRUCTURES[:2]
# structures of earlier releases, removed with the version's others
LEGACY_STRUCTURES = ("fts.sqlite", "bigram.sqlite")
_VERSION_DIR = re.compile(r"^v(\d+)$")


def _key(table_key: str, *parts: str) -> str:
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", table_key or ""):
        raise ValidationError.for_field("table_key", _("must be letters, digits, - or _"))
    return check_key("/".join((table_key, *parts)))


def _manifest_key(table_key: str, version: int) -> str:
    return _key(table_key, f"v{int(version)}", "manifest.json")


def _file_key(table_key: str, version: int, variant: str) -> str:
    if variant not in VARIANTS:
        raise ValidationError.for_field("variant", _("must be raw or public"))
    return _key(table_key, f"v{int(version)}", f"{variant}.parquet")


def versions(table_key: str) -> list[int]:
    """Complete versions of a table (those whose manifest was written), ascending."""
    storage = get_storage()
    found = []
    for name in storage.list(_key(table_key)):
        match = _VERSION_DIR.match(name)
        if match and storage.exists(_manifest_key(table_key, int(match.group(1)))):
            found.append(int(match.group(1)))
    return sorted(found)


def manifest(table_key: str, version: int) -> dict:
    storage = get_storage()
    key = _manifest_key(table_key, version)
    if not storage.exists(key):
        raise NotFound(_("Version %(v)s of this table does not exist.") % {"v": version})
    with storage.open(key) as fh:
        return json.load(fh)


def _reserve_version(table_key: str) -> int:
    storage = get_storage()
    taken = [int(m.group(1)) for n in storage.list(_key(table_key)) if (m := _VERSION_DIR.match(n))]
    number = max(taken, default=0) + 1
    while not storage.create_exclusive(_key(table_key, f"v{number}", "reserved")):
        number += 1
    return number


def _with_row_numbers(table: pa.Table) -> pa.Table:
    if ROW in table.column_names:
        table = table.drop_columns([ROW])
    return table.append_column(ROW, pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64)))


def _dictionary_columns(table: pa.Table, sample_rows: int = 50_000) -> list[str]:
    """Columns whose values repeat (in a sample): dictionary encoding pays for them only. For
    near-unique columns (names, IDs, addresses) the writer would build a dictionary, outgrow it
    and fall back to plain encoding: a third of the write's CPU spent for nothing."""
    sample = table.slice(0, sample_rows)
    if sample.num_rows == 0:
        return []
    return [
        name
        for name in table.column_names
        if name != ROW and pc.count_distinct(sample[name]).as_py() * 2 <= sample.num_rows
    ]


def _write_parquet(table: pa.Table, path: str) -> None:
    pq.write_table(
        table,
        path,
        row_group_size=settings.DATASTORE_ROW_GROUP_SIZE,
        compression="snappy",
        write_statistics=True,
        use_dictionary=_dictionary_columns(table),
    )


def write_version(
    table_key: str,
    variants: dict[str, pa.Table],
    *,
    mode: str = "replace",
    base_version: int | None = None,
    note: str = "",
    serve: bool = False,
) -> int:
    """Write a new immutable version (one Parquet file per variant) and return its number.

    Files are written to temporary names and renamed into place; the manifest is written last,
    so a version exists only once complete. Any failure removes what was written and leaves
    earlier versions untouched. ``mode="append"``: the new version holds the rows of
    ``base_version`` (default: the active version) followed by the new rows. The version is not
    served by ``active_version`` until ``activate()`` is called. ``serve=True``: the caller
    activates the version right away (a load), so the raw variant's row index, otherwise built on
    activation from the Parquet file, is built now beside the other files from the table in memory.
    """
    if mode not in {"replace", "append"}:
        raise ValidationError.for_field("mode", _("must be replace or append"))
    if not variants or any(v not in VARIANTS for v in variants):
        raise ValidationError.for_field("variants", _("must be raw and/or public tables"))
    _key(table_key)
    storage = get_storage()
    base = None
    if mode == "append":
        base = base_version if base_version is not None else active_version(table_key)
        if base is None:
            raise ValidationError.for_field("base_version", _("append needs an existing version"))
        base_manifest = manifest(table_key, base)
        missing = set(base_manifest["variants"]) ^ set(variants)
        if missing:
            raise ValidationError.for_field(
                "variants", _("append must give the same variants as the base version")
            )
        merged = {}
        for name, new in variants.items():
            old = pq.read_table(storage.path(_file_key(table_key, base, name))).drop_columns([ROW])
            new = new.drop_columns([ROW]) if ROW in new.column_names else new
            if new.column_names != old.column_names:
                raise ValidationError.for_field(
                    "schema",
                    _("appended rows must have the columns of version %(v)d: %(cols)s")
                    % {"v": base, "cols": ", ".join(old.column_names)},
                )
            try:
                new = new.cast(old.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                raise ValidationError.for_field(
                    "schema", _("appended rows do not have the column types of version %(v)d") % {"v": base}
                ) from None
            merged[name] = pa.concat_tables([old, new])
        variants = merged
    number = _reserve_version(table_key)
    # what the caller's casts and copies left in Arrow's allocator goes back to the OS before the
    # writers and the text index take theirs (the peak of a load is here)
    pa.default_memory_pool().release_unused()
    temps: list[str] = []
    try:
        info = {}
        jobs = []
        for name, table in variants.items():
            table = _with_row_numbers(table)
            outputs = [(_write_parquet, _file_key(table_key, number, name), ".parquet")]
            if name == "public":  # the raw variant's row cache is built on its first (rare) query
                outputs.append((_write_row_cache, _cache_key(table_key, number, name), ".arrow"))
            for writer, key, suffix in outputs:
                tmp = storage.temp_file(suffix)
                temps.append(tmp)
                jobs.append((writer, table, tmp, key))
            # the raw variant's row index: on activation, unless the caller activates at once
            if name in SERVED_VARIANTS or (serve and name in ROW_INDEXED_VARIANTS):
                tmps = [storage.temp_file("." + part) for part in _parts(name)]
                temps.extend(tmps)
                keys = [_structure_key(table_key, number, name, part) for part in _parts(name)]
                jobs.append((_write_structures, table, tmps, keys))
            info[name] = {"rows": table.num_rows, "columns": [c for c in table.column_names if c != ROW]}
        # the writers release the GIL: write the files side by side, then rename them in place
        # (the text index, the longest job, starts first)
        jobs.sort(key=lambda job: job[0] is not _write_structures)
        with ThreadPoolExecutor(max_workers=min(len(jobs), settings.DATASTORE_QUERY_THREADS)) as pool:
            for future in [pool.submit(writer, table, tmp) for writer, table, tmp, _key in jobs]:
                future.result()
        for _writer, _table, tmp, key in jobs:
            for one_tmp, one_key in zip(
                *((tmp, key) if isinstance(tmp, list) else ([tmp], [key])), strict=True
            ):
                storage.put(one_key, one_tmp)
                temps.remove(one_tmp)
        body = {
            "version": number,
            "mode": mode,
            "base_version": base,
            "variants": info,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "note": note,
        }
        tmp = storage.temp_file(".json")
        temps.append(tmp)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(body, fh, ensure_ascii=False)
        storage.put(_manifest_key(table_key, number), tmp)
        temps.remove(tmp)
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        storage.delete(_key(table_key, f"v{number}") + "/")
        raise
    storage.delete(_key(table_key, f"v{number}", "reserved"))
    return number


def activate(table_key: str, version: int) -> None:
    """Record ``version`` as the table's active version (atomic rename).

    The version's row and text indexes are built first if they are missing (the raw variant's
    row index on first activation; any of them for a version made current again); the indexes
    of every other version of the table (replaced ones) are removed afterwards. Queries on a version without indexes are answered by DuckDB, so removal never
    changes a result.
    """
    body = manifest(table_key, version)  # NotFound for an incomplete or unknown version
    for variant in body.get("variants", {}):
        if _parts(variant):
            ensure_structures(table_key, version, variant)
    storage = get_storage()
    tmp = storage.temp_file(".active")
    with open(tmp, "w") as fh:
        fh.write(str(int(version)))
    storage.put(_key(table_key, "active"), tmp)
    for other in versions(table_key):
        if other != int(version):
            drop_structures(table_key, other)


def retire(table_key: str) -> None:
    """The table is no longer served (its resource was retired): forget the active version and
    remove every version's row and text indexes. The Parquet files stay (history, downloads)."""
    get_storage().delete(_key(table_key, "active"))
    for number in versions(table_key):
        drop_structures(table_key, number)


def _structure_key(table_key: str, version: int, variant: str, part: str) -> str:
    return _key(table_key, f"v{int(version)}", f"{variant}.{part}")


def _parts(variant: str) -> tuple[str, ...]:
    """The index files a variant has: row and text indexes, the row index only, or none."""
    if variant in SERVED_VARIANTS:
        return STRUCTURES
    return ROW_INDEX_PARTS if variant in ROW_INDEXED_VARIANTS else ()


def _write_structures(table: pa.Table, paths: list[str]) -> None:
    """The row index and the n-gram text index, side by side (numpy and Arrow release the GIL
    while they work); the row index alone for two paths."""
    if len(paths) == len(ROW_INDEX_PARTS):
        rowfiles.build(table, *paths, max_text_distinct=settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT)
        return
    index_path, keys_path, grams_path = paths
    chosen = rowfiles.indexable(table, settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT)
    indexed = list(chosen)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(textindex.build, table, grams_path, indexed),
            pool.submit(
                rowfiles.build,
                table,
                index_path,
                keys_path,
                max_text_distinct=settings.DATASTORE_INDEX_MAX_TEXT_DISTINCT,
                chosen=chosen,
            ),
        ]
        for future in futures:
            future.result()


def ensure_structures(table_key: str, version: int, variant: str) -> None:
    """Build a version's row and text indexes if they are missing (each file renamed into place;
    the index file, which queries look for first, last)."""
    storage = get_storage()
    for part in LEGACY_STRUCTURES:  # an earlier release's text index: replaced by STRUCTURES'
        legacy = _structure_key(table_key, version, variant, part)
        if storage.exists(legacy):
            storage.delete(legacy)
    keys = [_structure_key(table_key, version, variant, part) for part in _parts(variant)]
    if all(storage.exists(k) for k in keys):
        return
    tmps = [storage.temp_file("." + part) for part in _parts(variant)]
    try:
        _write_structures(pq.read_table(source_path(table_key, version, variant)), tmps)
        for tmp, key in reversed(list(zip(tmps, keys, strict=True))):
            storage.put(key, tmp)
    finally:
        for tmp in tmps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def drop_structures(table_key: str, version: int) -> None:
    """Remove a version's row and text indexes (the index file first: queries stop using them)."""
    storage = get_storage()
    for variant in ROW_INDEXED_VARIANTS:
        for part in _parts(variant) + LEGACY_STRUCTURES:
            key = _structure_key(table_key, version, variant, part)
            if storage.exists(key):
                storage.delete(key)
    textindex.forget()


def structures(table_key: str, version: int, variant: str):
    """(row index, text index path) of a complete version's variant, or None when it has none;
    the path is None for a variant with the row index only (raw)."""
    parts = _parts(variant)
    if not parts:
        return None
    storage = get_storage()
    keys = [_structure_key(table_key, version, variant, part) for part in parts]
    if not storage.exists(_manifest_key(table_key, version)) or not all(storage.exists(k) for k in keys):
        return None
    paths = [storage.path(k) for k in keys] + [None] * (len(STRUCTURES) - len(keys))
    return rowfiles.load(paths[0], paths[1]), paths[2]


def active_version(table_key: str) -> int | None:
    storage = get_storage()
    key = _key(table_key, "active")
    if not storage.exists(key):
        return None
    with storage.open(key) as fh:
        return int(fh.read().strip())


def delete_table(table_key: str) -> None:
    """Remove every version of a table (for a resource that is deleted for good)."""
    get_storage().delete(_key(table_key) + "/")
    clear_caches()


# ------------------------------------------------------------------ the files a version is read from


@lru_cache(maxsize=512)
def file_info(path: str) -> tuple[int, tuple[str, ...], int]:
    """(rows, column names, row groups) of a Parquet file, from its footer (files never change)."""
    meta = pq.read_metadata(path)
    return meta.num_rows, tuple(meta.schema.names), meta.num_row_groups


def _cache_key(table_key: str, version: int, variant: str) -> str:
    return _key(table_key, f"v{int(version)}", f"{variant}.arrow")


@lru_cache(maxsize=64)
def _open_row_cache(path: str) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(path, "r")).read_all()


def _write_row_cache(table: pa.Table, path: str) -> None:
    """The table's chunks as they are, unsplit (one record batch for a table read or built in
    one piece): a page's 50 rows are then one ``take`` per column, not one per 65,536-row batch
    they fall in (1.7 ms a page on 1,000,000 rows in 16 batches, 0.13 ms in one)."""
    with pa.ipc.new_file(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))


def row_cache(table_key: str, version: int, variant: str) -> pa.Table:
    """The version as an uncompressed Arrow IPC file, memory-mapped (pages shared by processes).

    Written next to the Parquet file by write_version; rebuilt from the Parquet file when missing
    (e.g. a node that fetched only the Parquet files from object storage).
    """
    storage = get_storage()
    key = _cache_key(table_key, version, variant)
    if not storage.exists(key):
        tmp = storage.temp_file(".arrow")
        try:
            _write_row_cache(pq.read_table(source_path(table_key, version, variant)), tmp)
            storage.put(key, tmp)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return _open_row_cache(storage.path(key))


def source_path(table_key: str, version: int, variant: str) -> str:
    """Local path of a complete version's variant file; NotFound for an unknown or partial one."""
    storage = get_storage()
    key = _file_key(table_key, version, variant)
    if not storage.exists(_manifest_key(table_key, version)) or not storage.exists(key):
        raise NotFound(_("Version %(v)s of this table does not exist.") % {"v": version})
    return storage.path(key)


def clear_caches() -> None:
    """Forget cached results (in every process), file metadata and mapped files (after deleting
    tables)."""
    cache.invalidate(RESULTS_CACHE)
    file_info.cache_clear()
    _open_row_cache.cache_clear()
    rowfiles.load.cache_clear()
    rowindex._all_row_facet.cache_clear()
    rowindex._sorted_order.cache_clear()
    textindex.forget()


def arrow_type(field_type: str) -> pa.DataType:
    """The Arrow type a schema field type is stored as."""
    return ARROW_TYPES.get(field_type, pa.string())
