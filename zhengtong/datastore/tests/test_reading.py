"""read_file: formats, encodings and every kind of bad file."""

import datetime as dt
import json
import re
import zipfile

import openpyxl
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.datastore import engine

CSV = "名称,数量,日期\n甲公司,3,2020-01-02\n乙公司,,2021-03-04\n"


def rows(table):
    return [tuple(r.values()) for r in table.to_pylist()]


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    "encoding,prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b"")],
)
def test_csv_encodings_detected(tmp_path, encoding, prefix):
    path = write(tmp_path, "a.csv", prefix + CSV.encode(encoding))
    table = engine.read_file(path)
    assert table.column_names == ["名称", "数量", "日期"]
    assert rows(table) == [("甲公司", "3", "2020-01-02"), ("乙公司", None, "2021-03-04")]


def test_csv_declared_encoding_and_other_delimiters(tmp_path):
    path = write(tmp_path, "a.txt", CSV.replace(",", ";").encode("gbk"))
    table = engine.read_file(path, fmt="csv", encoding="GBK")
    assert table.column_names == ["名称", "数量", "日期"]
    assert table.num_rows == 2


def test_csv_quoted_values_with_newlines_and_commas(tmp_path):
    path = write(tmp_path, "a.csv", b'a,b\n"x, y","line1\nline2"\n"say ""hi""",2\n')
    assert rows(engine.read_file(path)) == [("x, y", "line1\nline2"), ('say "hi"', "2")]


def test_strings_stay_strings(tmp_path):
    path = write(tmp_path, "a.csv", b"code,phone\n001234,13800138000\n")
    assert rows(engine.read_file(path)) == [("001234", "13800138000")]


def expect_error(path, rule, **kw):
    with pytest.raises(ValidationError) as info:
        engine.read_file(path, **kw)
    assert info.value.details["rule"] == rule, info.value.details
    return info.value


def test_ragged_row_named(tmp_path):
    err = expect_error(write(tmp_path, "a.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n"), "ragged_row")
    assert err.details["row"] == 2
    assert "expected 3" in err.message or "3" in err.message


def test_broken_quoting_named(tmp_path):
    err = expect_error(write(tmp_path, "a.csv", b'a,b\n1,2\n3,"unclosed\n4,5\n'), "quoting")
    assert err.details["row"] == 2


def test_stray_quote_inside_value(tmp_path):
    expect_error(write(tmp_path, "a.csv", b'a,b\n1,"x"y\n'), "quoting")


def test_undetectable_encoding(tmp_path):
    expect_error(write(tmp_path, "a.csv", b"a,b\n\x00\x01\x02,\xff\xfe\n"), "encoding")
    expect_error(write(tmp_path, "b.csv", b"a,b\n" + bytes(range(0x80, 0x100)) * 20 + b"\n"), "encoding")


def test_declared_encoding_that_does_not_decode(tmp_path):
    expect_error(write(tmp_path, "a.csv", "a\n名称\n".encode("gbk")), "encoding", encoding="utf-8")


def test_huge_cell_rejected_with_row_and_column(tmp_path, settings):
    settings.DATASTORE_MAX_CELL_BYTES = 2048
    err = expect_error(write(tmp_path, "a.csv", b"a,b\n1,2\n3," + b"x" * 4000 + b"\n"), "max_cell_bytes")
    assert err.details["row"] == 2
    assert err.details["column"] == "b"


def test_100_mb_cell_rejected(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.write(b"a,b\n1,")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b"\n")
    err = expect_error(str(path), "max_cell_bytes")
    assert err.details["row"] == 1


def test_file_size_limit(tmp_path):
    expect_error(write(tmp_path, "a.csv", CSV.encode()), "max_bytes", max_bytes=10)


def test_too_many_columns(tmp_path, settings):
    settings.DATASTORE_MAX_COLUMNS = 3
    expect_error(write(tmp_path, "a.csv", b"a,b,c,d\n1,2,3,4\n"), "max_columns")


@pytest.mark.parametrize(
    "data",
    [b"a,a\n1,2\n", b"a,,c\n1,2,3\n", b"a,_row\n1,2\n"],
)
def test_bad_headers(tmp_path, data):
    expect_error(write(tmp_path, "a.csv", data), "header")


def test_empty_files(tmp_path):
    expect_error(write(tmp_path, "a.csv", b""), "empty")
    expect_error(write(tmp_path, "b.csv", b"a,b\n"), "empty")


def test_unknown_format(tmp_path):
    expect_error(write(tmp_path, "a.csv", b"a\n1\n"), "format", fmt="pdf")


# ------------------------------------------------------------------------------------ XLSX


def make_xlsx(path, rows_):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows_:
        ws.append(row)
    wb.save(path)
    return str(path)


def test_xlsx_values_become_text(tmp_path):
    path = make_xlsx(
        tmp_path / "a.xlsx",
        [
            ["名称", "数量", "金额", "日期", "时刻"],
            ["甲", 3, 1.5, dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 8, 30)],
            ["乙", None, 2.0, None, None],
        ],
    )
    table = engine.read_file(path)
    assert rows(table) == [
        ("甲", "3", "1.5", "2020-01-02", "2020-01-02T08:30:00"),
        ("乙", None, "2", None, None),
    ]


def test_xlsx_ragged_row(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx", [["a", "b"], [1, 2], [1, 2, 3]])
    err = expect_error(path, "ragged_row")
    assert err.details["row"] == 2


def test_xlsx_zip_bomb_ratio(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    expect_error(str(path), "zip_bomb")


def test_xlsx_zip_bomb_total_size(tmp_path, settings):
    settings.DATASTORE_XLSX_MAX_UNCOMPRESSED = 4096
    path = make_xlsx(tmp_path / "a.xlsx", [["a"], ["x" * 5000]])
    expect_error(path, "zip_bomb")


def test_xlsx_declared_dimension_over_the_cell_cap_is_refused_before_parsing(tmp_path, settings, monkeypatch):
    settings.DATASTORE_XLSX_MAX_CELLS = 1000
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["B1"], wb.active["A100000"] = "a", "b", "x"
    wb.save(tmp_path / "tall.xlsx")

    def no_parsing(*args, **kwargs):
        raise AssertionError("rows parsed")

    monkeypatch.setattr(openpyxl.worksheet._read_only.ReadOnlyWorksheet, "iter_rows", no_parsing)
    err = expect_error(str(tmp_path / "tall.xlsx"), "max_cells")
    assert err.fields["file"] == [
        "The worksheet has more than 1000 cells (rows × columns); split it or upload it as CSV."
    ]


def test_highly_compressible_xlsx_without_dimension_is_stopped_while_reading(tmp_path, settings):
    settings.DATASTORE_XLSX_MAX_CELLS = 10_000
    built = make_xlsx(
        tmp_path / "built.xlsx", [["name", "value", "note", "code"]] + [["甲", 1, "x" * 20, "0001"]] * 5000
    )
    # Drop the <dimension> element, as a crafted file would, and keep every other part.
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
                assert b"<dimension" not in data
            out.writestr(info.filename, data)
    with zipfile.ZipFile(path) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 10 * sheet.compress_size  # highly compressible
    expect_error(str(path), "max_cells")
    settings.DATASTORE_XLSX_MAX_CELLS = 30_000
    assert engine.read_file(str(path)).num_rows == 5000


def test_xlsx_expanded_size_default_is_far_below_the_reported_bomb(settings):
    # A 1.8 MB workbook expanding to a 214 MB sheet took 1 GB of worker memory.
    assert settings.DATASTORE_XLSX_MAX_UNCOMPRESSED <= 100 * 1024 * 1024


def test_not_a_workbook(tmp_path):
    expect_error(write(tmp_path, "a.xlsx", b"PK\x03\x04garbage"), "xlsx")


# ------------------------------------------------------------------------------------ JSON


def test_json_array_of_objects(tmp_path):
    data = [{"a": 1, "b": "x"}, {"a": 2.5, "c": True}, {"b": {"nested": 1}}]
    table = engine.read_file(write(tmp_path, "a.json", json.dumps(data).encode()))
    assert table.column_names == ["a", "b", "c"]
    assert rows(table) == [("1", "x", None), ("2.5", None, "true"), (None, '{"nested": 1}', None)]


def test_ndjson(tmp_path):
    text = '{"a": 1}\n\n{"a": 2, "b": "是"}\n'
    table = engine.read_file(write(tmp_path, "a.ndjson", text.encode()))
    assert rows(table) == [("1", None), ("2", "是")]


def test_json_sniffed_without_extension(tmp_path):
    assert engine.read_file(write(tmp_path, "upload", b'[{"a": 1}]')).num_rows == 1
    assert engine.read_file(write(tmp_path, "upload2", b'{"a": 1}\n{"a": 2}\n')).num_rows == 2


@pytest.mark.parametrize(
    "name,data,row",
    [
        ("a.json", b'[{"a": 1}, 5]', 2),
        ("b.json", b'[{"a": 1},', None),
        ("c.ndjson", b'{"a": 1}\n{oops\n', 2),
    ],
)
def test_bad_json(tmp_path, name, data, row):
    err = expect_error(write(tmp_path, name, data), "json")
    if row:
        assert err.details["row"] == row


def test_json_not_a_list(tmp_path):
    expect_error(write(tmp_path, "a.json", b'"text"'), "json")


@pytest.mark.parametrize(
    "text",
    [
        "名称,数量,日期\n甲公司,3,2020-01-02\n",  # Chinese characters, Japanese encoding
        "名前,数量,日付\n株式会社山田,3,2020-01-02\nこんにちは、ありがとう,7,2022-01-01\n",
        "社名,人数\n" + "".join(f"山田商事{i},{i}\n" for i in range(200)),
    ],
)
def test_shift_jis_csv_is_refused_not_read_as_gb18030_garbage(tmp_path, text):
    data = text.encode("shift_jis")
    data.decode("gb18030")  # decodes without error: only the confidence check tells
    err = expect_error(write(tmp_path, "a.csv", data), "encoding")
    assert err.fields["file"] == [
        "Cannot tell the file's character encoding; save it as UTF-8 (or GBK/GB18030) and upload again."
    ]


def test_mostly_ascii_gbk_csv_is_read(tmp_path):
    data = ("name,city\n" + "".join(f"row{i},杭州\n" for i in range(2000))).encode("gbk")
    table = engine.read_file(write(tmp_path, "a.csv", data))
    assert (table.num_rows, rows(table)[0], rows(table)[-1]) == (2000, ("row0", "杭州"), ("row1999", "杭州"))


def test_gbk_after_the_first_mebibyte(tmp_path):
    ascii_rows = "".join(f"row{i},{i}\n" for i in range(120_000))  # > 1 MiB of ASCII first
    data = ("a,b\n" + ascii_rows + "名称,数量\n").encode("gbk")
    table = engine.read_file(write(tmp_path, "late.csv", data))
    assert table.num_rows == 120_001
    assert table["a"][-1].as_py() == "名称"


def test_long_line_in_the_middle(tmp_path):
    data = b"a,b\n1,2\n3," + b"y" * (5 * 1024 * 1024) + b"\n4,5\n"
    err = expect_error(write(tmp_path, "mid.csv", data), "max_cell_bytes")
    assert err.details["row"] == 2
    assert err.details["column"] == "b"
