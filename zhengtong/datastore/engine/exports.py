"""Exports: one version's variant streamed as CSV, XLSX, JSON or Parquet bytes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from zhengtong.core.errors import ValidationError
from zhengtong.datastore.engine.compiler import (
    field_map,
    json_value,
    known_field,
    lit,
    order_spec,
    qi,
    where_sql,
)
from zhengtong.datastore.engine.queries import connection
from zhengtong.datastore.engine.store import ROW, file_info, source_path
from zhengtong.datastore.storage import get_storage

_FORMULA = r"^[=+\-@\t\r]"


def neutralize(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading single quote (OWASP)."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _neutralize_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    arrays = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.fill_null(pc.match_substring_regex(col, _FORMULA), False)
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise("'", col, ""), col)
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _export_reader(
    table_key, version, variant, filters, fields, sort, q, schema, batch_rows
) -> pa.RecordBatchReader:
    path = source_path(table_key, version, variant)
    _n, columns, _g = file_info(path)
    if schema is None:
        schema = {"fields": [{"name": c, "type": "any"} for c in columns if c != ROW]}
    known = field_map(schema, columns)
    selected = list(known) if fields is None else list(fields)
    for name in selected:
        known_field(known, name, "fields")
    where, params = where_sql(known, filters, q)
    order = order_spec(sort, known)
    order_sql = ", ".join([f"{qi(n)} {d.upper()} NULLS LAST" for n, d in order] + [qi(ROW)])
    cols = ", ".join(qi(n) for n in selected)
    sql = f"SELECT {cols} FROM read_parquet({lit(path)}){where} ORDER BY {order_sql}"  # noqa: S608 - identifiers checked and quoted, values bound
    # a cursor of its own: the stream may outlive other queries of this thread
    cur = connection().cursor()
    return cur.sql(sql, params=params).to_arrow_reader(batch_rows)


def export(
    table_key: str,
    version: int,
    variant: str,
    fmt: str,
    *,
    filters: list | None = None,
    fields: list[str] | None = None,
    sort: list | None = None,
    q: str | None = None,
    schema: dict | None = None,
    batch_rows: int = 50_000,
) -> Iterator[bytes]:
    """Stream one version's variant as CSV (UTF-8 with BOM), XLSX, JSON or Parquet bytes.

    CSV and XLSX cells starting with = + - @ tab or CR get a leading single quote. Without
    ``schema`` every column of the file is exported (filters then compare as text).
    """
    if fmt not in {"csv", "xlsx", "json", "parquet"}:
        raise ValidationError.for_field("format", _("must be csv, xlsx, json or parquet"))
    reader = _export_reader(table_key, version, variant, filters, fields, sort, q, schema, batch_rows)
    if fmt == "csv":
        return _csv_stream(reader)
    if fmt == "json":
        return _json_stream(reader)
    if fmt == "parquet":
        return _parquet_stream(reader)
    return _xlsx_stream(reader)


def _csv_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    yield b"\xef\xbb\xbf"
    sink = io.BytesIO()
    writer = pcsv.CSVWriter(sink, reader.schema)
    for batch in reader:
        writer.write_batch(_neutralize_batch(batch))
        yield sink.getvalue()
        sink.seek(0)
        sink.truncate()
    writer.close()
    tail = sink.getvalue()
    if tail:
        yield tail


def _json_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    yield b"["
    first = True
    for batch in reader:
        parts = []
        for row in batch.to_pylist():
            text = json.dumps({k: json_value(v) for k, v in row.items()}, ensure_ascii=False)
            parts.append(text if first else "," + text)
            first = False
        if parts:
            yield "\n".join(parts).encode()
    yield b"]\n"


def _chunks_of_file(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk
    finally:
        os.unlink(path)


def _parquet_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    tmp = get_storage().temp_file(".parquet")
    try:
        with pq.ParquetWriter(tmp, reader.schema, compression="snappy") as writer:
            for batch in reader:
                writer.write_batch(batch)
    except BaseException:
        os.unlink(tmp)
        raise
    return _chunks_of_file(tmp)


def _xlsx_stream(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    from openpyxl import Workbook  # Lazy: start-up cost (openpyxl takes ~90 ms to import)

    tmp = get_storage().temp_file(".xlsx")
    try:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("data")
        ws.append(list(reader.schema.names))
        written = 0
        for batch in reader:
            for row in batch.to_pylist():
                if written >= 1_048_575:
                    raise ValidationError.for_field(
                        "format", _("XLSX holds at most 1048575 rows; use CSV or Parquet")
                    )
                ws.append([_xlsx_value(v) for v in row.values()])
                written += 1
        wb.save(tmp)
    except BaseException:
        os.unlink(tmp)
        raise
    return _chunks_of_file(tmp)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        value = neutralize(value)
        # characters XML cannot hold (openpyxl would raise IllegalCharacterError)
        return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value
