"""Reading uploaded files into an all-string Arrow table (CSV, XLSX, JSON, NDJSON).

Every reader returns string columns (empty cells become null); types come later from the schema
(infer_schema / validate). Bad files raise ValidationError naming the row, column and rule.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils.translation import gettext as _

from zhengtong.core import charset
from zhengtong.core.errors import ValidationError
from zhengtong.datastore.storage import get_storage

FORMATS = ("csv", "xlsx", "json", "ndjson", "geojson")
_SAMPLE = 1 << 20


def _fail(rule: str, message: str, *, row: int | None = None, column: str | None = None) -> ValidationError:
    details = {"rule": rule}
    if row is not None:
        details["row"] = row
    if column is not None:
        details["column"] = column
    return ValidationError(message, fields={"file": [message]}, details=details)


def detect_format(path: str, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt in {"jsonl", "jsonlines"}:
            fmt = "ndjson"
        if fmt == "txt":
            fmt = "csv"
        if fmt not in FORMATS:
            raise _fail(
                "format",
                _("Unsupported file format %(fmt)s (CSV, XLSX, JSON, NDJSON or GeoJSON).") % {"fmt": fmt},
            )
        return fmt
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    if ext in {"jsonl", "jsonlines"}:
        return "ndjson"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "ndjson"
    return "csv"


# --------------------------------------------------------------------------------------- encoding


def detect_encoding(data: bytes) -> str:
    """The codec of ``data`` by ``core.charset.detect_encoding``; else a ValidationError (rule
    ``encoding``)."""
    try:
        return charset.detect_encoding(data)
    except charset.UndecodableText as exc:
        if exc.reason == "binary":
            raise _fail("encoding", _("The file looks binary (it contains NUL bytes), not text.")) from None
        raise _fail(
            "encoding",
            _(
                "Cannot tell the file's character encoding; save it as UTF-8 (or GBK/GB18030) and upload again."
            ),
        ) from None


# --------------------------------------------------------------------------------------- common


def _check_header(names: list[str]) -> list[str]:
    limit = settings.DATASTORE_MAX_COLUMNS
    if len(names) > limit:
        raise _fail(
            "max_columns",
            _("The file has %(n)d columns; at most %(max)d are allowed.") % {"n": len(names), "max": limit},
        )
    cleaned: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = ("" if raw is None else str(raw)).strip().lstrip("\ufeff")
        if not name:
            raise _fail("header", _("Column %(i)d has no name in the header row.") % {"i": i}, row=0)
        if len(name) > 128:
            raise _fail("header", _("Column %(i)d's name is longer than 128 characters.") % {"i": i}, row=0)
        if name in seen:
            raise _fail(
                "header",
                _("Column name %(name)s appears twice in the header row.") % {"name": name},
                row=0,
                column=name,
            )
        if name.startswith("_"):
            raise _fail(
                "header",
                _("Column name %(name)s may not start with an underscore.") % {"name": name},
                row=0,
                column=name,
            )
        seen.add(name)
        cleaned.append(name)
    if not cleaned:
        raise _fail("header", _("The file has no header row."), row=0)
    return cleaned


def _check_cells(table: pa.Table) -> None:
    """Reject cells above DATASTORE_MAX_CELL_BYTES, naming the first one (vectorised)."""
    cap = settings.DATASTORE_MAX_CELL_BYTES
    for name in table.column_names:
        col = table[name]
        if col.null_count == len(col):
            continue
        lengths = pc.binary_length(col)
        biggest = pc.max(lengths).as_py()
        if biggest is not None and biggest > cap:
            row = pc.index(pc.greater(lengths, cap), True).as_py() + 1
            raise _fail(
                "max_cell_bytes",
                _("Row %(row)d, column %(col)s: the cell is larger than %(max)d bytes.")
                % {"row": row, "col": name, "max": cap},
                row=row,
                column=name,
            )


def _table_from_columns(names: list[str], columns: list[list]) -> pa.Table:
    return pa.table({n: pa.array(c, type=pa.string()) for n, c in zip(names, columns, strict=True)})


# --------------------------------------------------------------------------------------- CSV


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


_LINE_RE = re.compile(r"CSV Error on Line: (\d+)")


def _csv_error(exc: Exception, names: list[str]) -> ValidationError:
    text = str(exc)
    match = _LINE_RE.search(text)
    line = int(match.group(1)) if match else None
    row = line - 1 if line else None
    where = (_("Line %(line)d (data row %(row)d): ") % {"line": line, "row": row}) if line else ""
    if "unterminated quote" in text:
        return _fail("quoting", where + _("a quoted value is not closed (broken quoting)."), row=row)
    if "Expected Number of Columns" in text:
        found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
        exp, got = (int(found.group(1)), int(found.group(2))) if found else (len(names), 0)
        return _fail(
            "ragged_row",
            where + _("expected %(exp)d columns, found %(got)d (ragged row).") % {"exp": exp, "got": got},
            row=row,
        )
    if "Maximum line size" in text or "max_line_size" in text:
        return _fail(
            "max_cell_bytes",
            where
            + _("the line is longer than %(max)d bytes (cell size limit).")
            % {"max": settings.DATASTORE_MAX_CELL_BYTES},
            row=row,
        )
    if "quote" in text.lower():
        return _fail("quoting", where + _("invalid quoting."), row=row)
    return _fail("csv", where + _("the file is not valid CSV."), row=row)


def _check_line_lengths(data: bytes, max_line: int, cell_cap: int) -> None:
    """Find a line longer than ``max_line`` (DuckDB drops an over-long last line silently)."""
    if len(data) <= max_line:
        return
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], ends, [len(data)]))
    lengths = np.diff(bounds) - 1
    long_lines = np.flatnonzero(lengths > max_line)
    if not len(long_lines):
        return
    line_index = int(long_lines[0])
    start = int(bounds[line_index]) + 1
    line = data[start : start + int(lengths[line_index])]
    header = data[: int(bounds[1])].decode("utf-8", errors="replace") if len(bounds) > 2 else ""
    names = next(csv.reader([header])) if header else []
    pieces = line.split(b",")
    column_index = max(range(len(pieces)), key=lambda i: len(pieces[i]))
    column = names[column_index].strip().lstrip("\ufeff") if column_index < len(names) else None
    raise _fail(
        "max_cell_bytes",
        _("Line %(line)d (data row %(row)d): a cell is larger than %(max)d bytes.")
        % {"line": line_index + 1, "row": line_index, "max": cell_cap},
        row=line_index,
        column=column,
    )


def _transcode(data: bytes, enc: str) -> str:
    """Write ``data`` decoded from ``enc`` as UTF-8 to a scratch file; returns its path."""
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        raise _fail("encoding", _("The file is not valid %(enc)s text.") % {"enc": enc}) from None
    tmp_path = get_storage().temp_file(".csv")
    with open(tmp_path, "wb") as out:
        out.write(text.lstrip("\ufeff").encode("utf-8"))
    return tmp_path


def _check_last_line(source: str, max_line: int, cell_cap: int) -> None:
    """DuckDB drops an over-long final line silently: look at the file's tail for one."""
    size = os.path.getsize(source)
    if size <= max_line:
        return
    with open(source, "rb") as fh:
        fh.seek(size - max_line - 2)
        tail = fh.read()
    if b"\n" not in tail.rstrip(b"\r\n"):
        with open(source, "rb") as fh:
            _check_line_lengths(fh.read(), max_line, cell_cap)


def _duckdb_csv(source: str, names: list[str], delim: str, max_line: int) -> pa.Table:
    cols = "{" + ",".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    # Empty cells (quoted or not) come back as NULL; max_line_size guards memory.
    sql = (
        f"SELECT * FROM read_csv(?, header=true, auto_detect=false, columns={cols}, "  # noqa: S608 - no user text in the SQL
        f"delim=?, quote='\"', escape='\"', strict_mode=true, max_line_size={int(max_line)}, "
        "null_padding=false, parallel=true)"
    )
    con = duckdb.connect(config={"threads": settings.DATASTORE_QUERY_THREADS})
    try:
        return con.sql(sql, params=[source, delim]).to_arrow_table().rename_columns(names)
    finally:
        con.close()


def _is_unicode_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "unicode" in text or "utf-8" in text or "utf8" in text


def _read_csv(path: str, encoding: str | None, cell_cap: int) -> pa.Table:
    max_line = max(cell_cap * 4, 2 * 1024 * 1024)
    declared = None
    if encoding:
        declared = encoding.lower().replace("_", "-")
        declared = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}.get(
            declared, declared
        )
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE)
    if not head.lstrip(codecs.BOM_UTF8).strip():
        raise _fail("empty", _("The file is empty."))
    # Fast path: UTF-8 (with or without BOM) goes to DuckDB as is; DuckDB validates the UTF-8.
    fast = declared in (None, "utf-8", "utf-8-sig") and b"\x00" not in head
    if fast:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SAMPLE)
        except UnicodeDecodeError:
            fast = False
    if fast and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        fast = False
    tmp_path = None
    source = path
    try:
        if not fast:
            with open(path, "rb") as fh:
                data = fh.read()
            enc = declared or detect_encoding(data)
            tmp_path = source = _transcode(data, enc)
            del data
            with open(source, "rb") as fh:
                head = fh.read(_SAMPLE)
        head_text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
        if not head_text.strip():
            raise _fail("empty", _("The file is empty."))
        delim = _sniff_delimiter(head_text.split("\n", 1)[0])
        try:
            header = next(csv.reader(io.StringIO(head_text), delimiter=delim))
        except (csv.Error, StopIteration):
            raise _fail("header", _("The header row cannot be read."), row=0) from None
        names = _check_header(header)
        try:
            table = _duckdb_csv(source, names, delim, max_line)
        except duckdb.Error as exc:
            if fast and _is_unicode_error(exc):
                if declared:
                    raise _fail(
                        "encoding", _("The file is not valid %(enc)s text.") % {"enc": encoding}
                    ) from None
                with open(path, "rb") as fh:
                    data = fh.read()
                tmp_path = source = _transcode(data, detect_encoding(data))
                del data
                try:
                    table = _duckdb_csv(source, names, delim, max_line)
                except duckdb.Error as exc2:
                    raise _csv_error(exc2, names) from None
            else:
                message = str(exc)
                if "Expected Number of Columns" not in message and "unterminated quote" not in message:
                    with open(source, "rb") as fh:
                        _check_line_lengths(fh.read(), max_line, cell_cap)
                raise _csv_error(exc, names) from None
        _check_last_line(source, max_line, cell_cap)
        if table.num_rows == 0:
            raise _fail("empty", _("The file has a header row but no data rows."))
        return table
    finally:
        if tmp_path:
            os.unlink(tmp_path)


# --------------------------------------------------------------------------------------- XLSX


def _check_zip(path: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise _fail("xlsx", _("The file is not a valid XLSX workbook.")) from None
    total = 0
    cap = settings.DATASTORE_XLSX_MAX_UNCOMPRESSED
    ratio_cap = settings.DATASTORE_XLSX_MAX_RATIO
    if len(infos) > 10_000:
        raise _fail("zip_bomb", _("The workbook has too many parts."))
    for info in infos:
        total += info.file_size
        if total > cap:
            raise _fail(
                "zip_bomb",
                _("The workbook expands to more than %(max)d bytes (zip bomb defence).") % {"max": cap},
            )
        if info.file_size > 1024 * 1024 and info.file_size > ratio_cap * max(info.compress_size, 1):
            raise _fail(
                "zip_bomb",
                _("A part of the workbook is compressed more than %(ratio)d:1 (zip bomb defence).")
                % {"ratio": ratio_cap},
            )


def _too_many_cells(max_cells: int) -> ValidationError:
    return _fail(
        "max_cells",
        _("The worksheet has more than %(max)d cells (rows × columns); split it or upload it as CSV.")
        % {"max": max_cells},
    )


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text != "" else None


def _read_xlsx(path: str, cell_cap: int) -> pa.Table:
    _check_zip(path)
    import openpyxl  # Lazy: start-up cost (openpyxl takes ~90 ms to import)

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for broken files
        raise _fail("xlsx", _("The file is not a valid XLSX workbook.")) from None
    try:
        ws = wb.worksheets[0]
        max_cells = settings.DATASTORE_XLSX_MAX_CELLS
        # The sheet's <dimension> (when present) tells its size before any row is parsed.
        if (ws.max_row or 0) * (ws.max_column or 0) > max_cells:
            raise _too_many_cells(max_cells)
        rows = ws.iter_rows(values_only=True)
        try:
            header = next(rows)
        except StopIteration:
            raise _fail("empty", _("The file is empty.")) from None
        header = list(header)
        while header and header[-1] in (None, ""):
            header.pop()
        names = _check_header([_cell_text(h) for h in header])
        width = len(names)
        columns: list[list] = [[] for _ in names]
        cells = 0
        for rownum, row in enumerate(rows, start=1):
            # The dimension may be missing or false: count the cells as they come, too.
            cells += max(len(row or ()), width)
            if cells > max_cells:
                raise _too_many_cells(max_cells)
            if row is None or all(v in (None, "") for v in row):
                continue
            if len(row) > width and any(v not in (None, "") for v in row[width:]):
                raise _fail(
                    "ragged_row",
                    _("Row %(row)d has values beyond the %(n)d named columns (ragged row).")
                    % {"row": rownum, "n": width},
                    row=rownum,
                )
            for i in range(width):
                text = _cell_text(row[i]) if i < len(row) else None
                if text is not None and len(text) > cell_cap // 4 and len(text.encode()) > cell_cap:
                    raise _fail(
                        "max_cell_bytes",
                        _("Row %(row)d, column %(col)s: the cell is larger than %(max)d bytes.")
                        % {"row": rownum, "col": names[i], "max": cell_cap},
                        row=rownum,
                        column=names[i],
                    )
                columns[i].append(text)
    finally:
        wb.close()
    if not columns[0] and all(not c for c in columns):
        raise _fail("empty", _("The file has a header row but no data rows."))
    return _table_from_columns(names, columns)


# --------------------------------------------------------------------------------------- JSON


def _json_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, int | float):
        return _cell_text(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _records_table(records, where: str) -> pa.Table:
    names: list[str] = []
    index: dict[str, int] = {}
    columns: list[list] = []
    count = 0
    for n, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise _fail("json", _("%(where)s %(n)d is not an object.") % {"where": where, "n": n}, row=n)
        for key in rec:
            if key not in index:
                index[key] = len(names)
                names.append(key)
                columns.append([None] * count)
                _check_header(names)
        for key, col in zip(names, columns, strict=True):
            col.append(_json_text(rec.get(key)))
        count += 1
    if not count:
        raise _fail("empty", _("The file has no records."))
    return _table_from_columns(_check_header(names), columns)


def _decode_text(path: str, encoding: str | None) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    enc = encoding or detect_encoding(data)
    try:
        return data.decode(enc).lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError):
        raise _fail("encoding", _("The file is not valid %(enc)s text.") % {"enc": enc}) from None


def _read_json(path: str, encoding: str | None) -> pa.Table:
    text = _decode_text(path, encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            "json", _("Line %(line)d: the file is not valid JSON.") % {"line": exc.lineno}, row=exc.lineno
        ) from None
    except RecursionError:
        raise _fail("json", _("The JSON is nested too deeply to be a table.")) from None
    if isinstance(data, dict):
        for key in ("records", "data", "rows", "result"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        raise _fail("json", _("The JSON file must hold an array of objects."))
    return _records_table(data, _("Record"))


def _read_ndjson(path: str, encoding: str | None) -> pa.Table:
    text = _decode_text(path, encoding)

    def records():
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                raise _fail(
                    "json", _("Line %(line)d is not valid JSON.") % {"line": lineno}, row=lineno
                ) from None
            except RecursionError:
                raise _fail(
                    "json",
                    _("Line %(line)d is nested too deeply to be a record.") % {"line": lineno},
                    row=lineno,
                ) from None

    return _records_table(records(), _("Line"))


# --------------------------------------------------------------------------------------- entry


def read_file(
    path: str, *, fmt: str | None = None, encoding: str | None = None, max_bytes: int | None = None
) -> pa.Table:
    path = str(path)
    limit = max_bytes or settings.DATASTORE_MAX_FILE_BYTES
    try:
        size = os.path.getsize(path)
    except OSError:
        raise _fail("missing", _("The file cannot be read.")) from None
    if size > limit:
        raise _fail(
            "max_bytes",
            _("The file is %(size)d bytes; at most %(max)d are allowed.") % {"size": size, "max": limit},
        )
    if size == 0:
        raise _fail("empty", _("The file is empty."))
    kind = detect_format(path, fmt)
    cell_cap = settings.DATASTORE_MAX_CELL_BYTES
    if kind == "csv":
        table = _read_csv(path, encoding, cell_cap)
    elif kind == "xlsx":
        table = _read_xlsx(path, cell_cap)
    elif kind == "json":
        table = _read_json(path, encoding)
    elif kind == "geojson":
        # Lazy: the GeoJSON reader builds on this module's helpers (a module-level import would
        # be circular).
        from zhengtong.datastore.geojson import read_geojson

        table = read_geojson(path, encoding)
    else:
        table = _read_ndjson(path, encoding)
    _check_cells(table)
    return table
