"""In-process CPU per distinct filtered + sorted page (bench/opendata.py's measure 1), by layer.

Independent of the machine's load (``time.process_time``, one thread): on the data
``bench/opendata.py --prepare`` built, the same distinct queries (district + status + a capital
bound, sorted by capital desc, 50 rows with their exact count) through

1. ``index``: the row index alone (``serving.index_answer``: the page's positions and the total);
2. ``query``: ``engine.query`` (the index, then the page's rows taken from the Arrow copy);
3. ``wsgi``: the row API service ``zhengtong.catalog.wsgi_rows`` answering the Datasette URL
   (request, visibility, rate limit, the query, the JSON body), called in this process.

    .venv/bin/python bench/opendata_cpu.py                  # 1,000,000 rows, 3000 queries
    .venv/bin/python bench/opendata_cpu.py --measure 2      # the three-filter page
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import opendata  # noqa: E402 - bench/ is on the path now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=3000)
    parser.add_argument("--measure", type=int, default=1, help="bench/opendata.py's measure number")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries (the median is kept)")
    parser.add_argument("--layers", default="index,query,wsgi", help="comma list of layers to time")
    parser.add_argument("--profile", help="write a cProfile of the timed passes to this file")
    args = parser.parse_args()

    work = opendata.ROOT / "var" / "bench" / "opendata" / str(args.rows)
    if not (work / "zhengtong.sqlite3").exists():
        raise SystemExit(f"nothing prepared in {work}: run bench/opendata.py --prepare --rows {args.rows}")
    os.environ.update(opendata.zt_env(work))
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")  # as the bench
    os.environ["DATASTORE_QUERY_THREADS"] = "1"

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    django.setup()
    from zhengtong.catalog.compat import common
    from zhengtong.catalog.models import DataResource
    from zhengtong.catalog.wsgi_rows import application
    from zhengtong.datastore.engine import compiler, serving, store
    from zhengtong.datastore.engine import queries as engine_queries

    csv_path = opendata.ensure_csv(args.rows, work)
    measure = opendata.make_streams(csv_path, args.rows, args.distinct)[args.measure - 1]
    queries = measure["distinct"]
    print(f"{measure['name']}: {len(queries)} distinct queries, {args.rows:,} rows", flush=True)

    resource = DataResource.objects.get(name=opendata.NAME)
    table = common.table_for(None, resource)
    schema = common.public_schema(table)

    def engine_args(query: str) -> dict:
        params = urllib.parse.parse_qs(query)
        filters = []
        for key, values in params.items():
            if key.startswith("_"):
                continue
            column, _sep, op = key.rpartition("__") if "__" in key else (key, "", "exact")
            op = {"exact": "eq"}.get(op, op)
            field = table.field(column)
            filters.extend((column, op, common.cast_value(field, v, param=key)) for v in values)
        sort = [(params["_sort_desc"][0], "desc")] if "_sort_desc" in params else []
        return {"filters": filters, "sort": sort, "limit": int(params.get("_size", ["50"])[0])}

    prepared = [engine_args(q) for q in queries]
    num_rows, columns, _g = store.file_info(store.source_path(table.table_key, table.number, table.variant))
    known = compiler.field_map(schema, columns)
    served = store.structures(table.table_key, table.number, table.variant)
    if served is None:
        raise SystemExit("the served variant has no row index")

    def layer_index(kw):
        order = compiler.order_spec([f"-{n}" if d == "desc" else n for n, d in kw["sort"]], known)
        parsed = compiler.parse_filters(known, kw["filters"])
        return serving.index_answer(
            served, parsed, None, [], order, limit=kw["limit"], offset=0, cursor=None, count=True, rows=None
        )

    def layer_query(kw):
        result = engine_queries.query(
            table.table_key,
            table.number,
            table.variant,
            schema=schema,
            filters=kw["filters"],
            sort=[f"-{n}" if d == "desc" else n for n, d in kw["sort"]],
            limit=kw["limit"],
            count="estimate",
            row_numbers=True,
        )
        assert result.engine == "index", result.engine
        return result

    def layer_wsgi(query):
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": f"/data/{opendata.NAME}.json",
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8400",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json",
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status = []
        body = b"".join(application(environ, lambda s, h, exc_info=None: status.append(s)))
        assert status[0].startswith("200"), (status, body[:300])
        return body

    layers = [
        ("index", layer_index, prepared),
        ("query", layer_query, prepared),
        ("wsgi", layer_wsgi, queries),
    ]
    wanted = args.layers.split(",")
    profiler = cProfile.Profile() if args.profile else None
    for name, fn, inputs in layers:
        if name not in wanted:
            continue
        for item in inputs[:50]:  # warm: sorted orders, mapped pages, imports
            fn(item)
        rounds = []
        for _ in range(args.rounds):
            gc.collect()
            if profiler:
                profiler.enable()
            started = time.process_time()
            for item in inputs:
                fn(item)
            rounds.append((time.process_time() - started) * 1000 / len(inputs))
            if profiler:
                profiler.disable()
        print(
            f"{name:6s} CPU per page: {statistics.median(rounds):.3f} ms "
            f"(rounds {', '.join(f'{r:.3f}' for r in rounds)}; load {Path('/proc/loadavg').read_text().split()[0]})",
            flush=True,
        )
    if profiler:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
