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
]
CSV_QUERIES = ["?_size=5", "?district=%E8%A5%BF%E6%B9%96%E5%8C%BA&_size=3"]


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
        con.commit()
        con.close()
        ds = Datasette([str(db)])

        async def record():
            out = {"datasette_version": datasette.__version__, "json": {}, "csv": {}}
            for query in QUERIES:
                response = await ds.client.get("/data/enterprise.json" + query)
                out["json"][query] = {"status": response.status_code, "body": response.json()}
            for query in CSV_QUERIES:
                response = await ds.client.get("/data/enterprise.csv" + query)
                out["csv"][query] = {"status": response.status_code, "text": response.text}
            return out

        recorded = asyncio.run(record())
    (HERE / "responses.json").write_text(json.dumps(recorded, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    write_rows() if sys.argv[1:] == ["rows"] else main()
