"""Record Datasette's answers for test_datasette_parity.py, by hand, in two steps:
``.venv/bin/python record.py rows`` (the project's venv) writes rows.json, then
``<a venv with datasette==0.65.1>/bin/python record.py`` writes responses.json next to itself.

The table: the first 40 rows of the compat tests' enterprise registry, in its public variant, as
SQLite sees them (dates as ISO text), in a rowid table named ``enterprise`` of ``data.db``."""

import asyncio
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
QUERIES = [
    "?_size=5&_shape=objects",
    "?_size=0",
    "?nosuch=1&_shape=objects",
    "?_shape=object&_size=3",
    "?name__endswith=7%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8&_shape=objects",
    "?name__like=%250001%25&_shape=objects",
    "?name__glob=*0002*&_shape=objects",
    "?founded__date=2000-01-08&_shape=objects",
    "?_sort=rowid&_size=3&_shape=objects",
    "?_facet=district&_size=0",
    "?status=%E5%AD%98%E7%BB%AD&_facet=district&_size=0",
    "?_size=2&_sort_desc=capital&_shape=objects",
    # _facet_date, rowid comparisons (issue 15)
    "?_facet_date=founded&_size=0",
    "?founded__date=2000-01-08&_facet_date=founded&_size=0",
    "?_facet=district&_facet_date=founded&_size=0",
    "?_facet=founded&_facet_date=founded&_size=0",
    "?rowid__gt=35&_shape=objects",
    "?rowid__gte=38&_shape=objects",
    "?rowid__lt=3&_shape=objects",
    "?rowid__lte=2&_shape=objects",
    "?rowid=7&_shape=objects",
    "?rowid__exact=8&_shape=objects",
    "?rowid__not=1&_size=2&_shape=objects",
    "?rowid__in=3,5,40&_shape=objects",
    "?rowid__notin=1,2,3&_size=2&_shape=objects",
    "?rowid__gt=30&status=%E5%AD%98%E7%BB%AD&_shape=objects",
    "?rowid__gt=5&_sort=rowid&_size=3&_shape=objects",
    "?rowid__gt=20&_sort_desc=capital&_size=3&_shape=objects",
    "?rowid__gt=20&_facet=district&_size=0",
]
CSV_QUERIES = ["?_size=5", "?district=%E8%A5%BF%E6%B9%96%E5%8C%BA&_size=3", "?rowid__gt=37"]
# A second table, ``tagged``: a text column of JSON arrays (_facet_array, __arraycontains) and
# a text column of timestamps (_facet_date on text).
TAGGED_QUERIES = [
    "?_size=0",
    "?_shape=objects&_size=3",
    "?_facet_array=tags&_size=0",
    "?tags__arraycontains=%E4%BA%A4%E9%80%9A&_facet_array=tags&_shape=objects",
    "?tags__arraynotcontains=%E4%BA%A4%E9%80%9A&_shape=objects",
    "?_facet_date=published&_size=0",
    "?published__date=2025-03-02&_facet_date=published&_shape=objects",
    "?_facet=tags&_facet_array=tags&_size=0",
    "?kind=%E9%80%9A%E7%9F%A5&_facet_array=tags&_facet_date=published&_size=0",
]
TAGS = ["交通", "教育", "医疗", "住房"]


def tagged_rows() -> list[dict]:
    """12 rows: tags as JSON arrays (one empty, one null, one with a repeated item), timestamps
    as text on a few days."""
    rows = []
    for i in range(12):
        if i == 4:
            tags = None
        elif i == 7:
            tags = "[]"
        elif i == 9:
            tags = json.dumps(["交通", "交通", "教育"], ensure_ascii=False)
        else:
            tags = json.dumps([TAGS[i % 4], *([TAGS[(i + 1) % 4]] if i % 3 == 0 else [])], ensure_ascii=False)
        rows.append(
            {
                "title": f"政策文件{i:02d}",
                "kind": "通知" if i % 2 else "公告",
                "tags": tags,
                "published": None if i == 11 else f"2025-03-{1 + i % 3:02d} {9 + i:02d}:30:00",
            }
        )
    return rows


def write_rows() -> None:
    sys.path.insert(0, str(HERE.parents[5]))
    from zhengtong.catalog.compat.tests.conftest import make_rows, public_rows

    rows = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        for r in public_rows(make_rows(40))
    ]
    (HERE / "rows.json").write_text(json.dumps(rows, ensure_ascii=False, indent=0) + "\n")


def main() -> None:
    import datasette
    from datasette.app import Datasette

    rows = json.loads((HERE / "rows.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "data.db"
        con = sqlite3.connect(db)
        names = list(rows[0])
        con.execute(f"CREATE TABLE enterprise ({', '.join(names)})")
        con.executemany(
            f"INSERT INTO enterprise VALUES ({', '.join('?' for _ in names)})",
            [[r[n] for n in names] for r in rows],
        )
        tagged = tagged_rows()
        con.execute("CREATE TABLE tagged (title, kind, tags, published)")
        con.executemany(
            "INSERT INTO tagged VALUES (?, ?, ?, ?)",
            [[r["title"], r["kind"], r["tags"], r["published"]] for r in tagged],
        )
        con.commit()
        con.close()
        ds = Datasette([str(db)])

        async def record():
            out = {"datasette_version": datasette.__version__, "json": {}, "csv": {}, "tagged": {}}
            for query in QUERIES:
                response = await ds.client.get("/data/enterprise.json" + query)
                out["json"][query] = {"status": response.status_code, "body": response.json()}
            for query in TAGGED_QUERIES:
                response = await ds.client.get("/data/tagged.json" + query)
                out["tagged"][query] = {"status": response.status_code, "body": response.json()}
            for query in CSV_QUERIES:
                response = await ds.client.get("/data/enterprise.csv" + query)
                out["csv"][query] = {"status": response.status_code, "text": response.text}
            return out

        recorded = asyncio.run(record())
    (HERE / "responses.json").write_text(json.dumps(recorded, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    write_rows() if sys.argv[1:] == ["rows"] else main()
