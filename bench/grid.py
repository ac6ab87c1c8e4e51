"""Grid benchmarks: Open311 POST throughput, point-in-polygon, the command-room map query.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at:

    .venv/bin/python bench/grid.py                                   # SQLite, small sizes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zt_grid .venv/bin/python bench/grid.py --full
    BENCH_WORKERS=3 BENCH_THREADS=2 .venv/bin/python bench/grid.py --open311-only   # try settings

Sizes (``--full`` = the issue's targets): BENCH_POLYGONS (10,000), BENCH_INCIDENTS (1,000,000),
BENCH_POSTS (3,000 Open311 POSTs), BENCH_CONCURRENCY (8 keep-alive connections),
BENCH_WORKERS (gunicorn gthread workers, 2), BENCH_THREADS (threads per worker, 4).

- Open311 ``POST /open311/v2/requests.json``: gunicorn (gthread workers, keep-alive) serving the
  throwaway database; a load client holding BENCH_CONCURRENCY persistent HTTP/1.1 connections.
  Every request goes the whole way: key check, point-in-polygon, incident row, timeline, audit.
- Point-in-polygon: the process index (shapely 2 STRtree) over BENCH_POLYGONS cells; one bulk
  (vectorised) query of 100,000 random points, and single-point look-ups.
- Command-room map: BENCH_INCIDENTS incidents bulk-generated over 20 townships; the selector the
  map uses (one township, one state, the township staff's scope) and the whole map view.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import _common  # noqa: E402 - bench/ is the script's directory

_common.usage_if_asked(__doc__)
_common.django_setup()

import numpy as np  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

FULL = "--full" in sys.argv
POLYGONS = int(os.environ.get("BENCH_POLYGONS", 10_000 if FULL else 2_000))
INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", 1_000_000 if FULL else 50_000))
POSTS = int(os.environ.get("BENCH_POSTS", 3_000 if FULL else 600))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
# Measured on 2 cores: cores + 1 single-threaded (sync) workers beat threads (GIL hand-offs cost CPU).
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
WORKERS = int(os.environ.get("BENCH_WORKERS", 3))
THREADS = int(os.environ.get("BENCH_THREADS", 1))
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", 20 if FULL else 10))
TOWNSHIPS = 20
ROWS: list[tuple[str, ...]] = []


def add(measure, size, median_ms, p95_ms, throughput, target) -> None:
    ROWS.append(
        (
            measure,
            size,
            f"{median_ms:.2f} ms" if median_ms is not None else "—",
            f"{p95_ms:.2f} ms" if p95_ms is not None else "—",
            throughput,
            target,
            _common.peak_mb(),
        )
    )


# --- setup --------------------------------------------------------------------------------


def build_world():
    """Province → city → county → TOWNSHIPS townships → 5 villages → 10 grids each (1,000 cells),
    square cells 300 m wide around 120.0E 30.0N; categories; a command user; an Open311 key."""
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.accounts.services import system_actor
    from zhengtong.grid import geo, services
    from zhengtong.grid.categories import categories_ensure

    tree = _common.province_tree(
        [("330106", "西湖区")],
        TOWNSHIPS,
        township_name=lambda _county, t: f"街道{t}",
        township_children=lambda code: [
            {
                "code": f"{code}{v:03d}",
                "name": f"社区{int(code[6:])}-{v}",
                "level": "village",
                "children": [
                    {"code": f"{code}{v:03d}{g:03d}", "name": f"网格{int(code[6:])}-{v}-{g}", "level": "grid"}
                    for g in range(1, 11)
                ],
            }
            for v in range(1, 6)
        ],
    )
    acc.org_units_load_tree(actor=None, tree=tree)
    system = system_actor()
    categories_ensure()
    features = []
    size = 0.003
    for t in range(1, TOWNSHIPS + 1):
        for v in range(1, 6):
            for g in range(1, 11):
                lng = 120.0 + (t - 1) * 10 * size + (g - 1) * size
                lat = 30.0 + (v - 1) * size
                features.append(
                    {
                        "type": "Feature",
                        "properties": {"code": f"330106{t:03d}{v:03d}{g:03d}", "name": f"网格{t}-{v}-{g}"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [
                                    [lng, lat],
                                    [lng + size, lat],
                                    [lng + size, lat + size],
                                    [lng, lat + size],
                                    [lng, lat],
                                ]
                            ],
                        },
                    }
                )
    services.cells_import(actor=system, collection={"type": "FeatureCollection", "features": features})
    geo.invalidate()
    township = OrgUnit.objects.get(code="330106001")
    command = acc.user_create(
        actor=system, username="bench_cmd", password="Bench-pass-2025!", kind="staff", org_unit=township
    )
    acc.role_grant(actor=system, user=command, role="command_staff", org_unit=township)
    _key, raw = services.open311_key_create(
        actor=system, name="bench", org_unit=OrgUnit.objects.get(code="330000")
    )
    return command, township, raw


# --- point-in-polygon ---------------------------------------------------------------------


def bench_point_in_polygon() -> None:
    from zhengtong.grid.geo import CellIndex

    side = int(np.ceil(np.sqrt(POLYGONS)))
    size = 0.003
    rows, units = (
        [],
        {
            "330000": (1, "p"),
            "330100": (2, "c"),
            "330106": (3, "county"),
            "330106001": (4, "t"),
            "330106001001": (5, "v"),
        },
    )
    for i in range(POLYGONS):
        x, y = 120.0 + (i % side) * size, 30.0 + (i // side) * size
        geojson = f'{{"type":"Polygon","coordinates":[[[{x},{y}],[{x + size},{y}],[{x + size},{y + size}],[{x},{y + size}],[{x},{y}]]]}}'
        rows.append((i, f"g{i}", f"g{i}", i, f"330000/330100/330106/330106001/330106001001/g{i}/", geojson))
    start = time.perf_counter()
    index = CellIndex(rows, units)
    build = time.perf_counter() - start
    rng = np.random.default_rng(7)
    n = 100_000
    lngs = rng.uniform(120.0, 120.0 + side * size, n)
    lats = rng.uniform(30.0, 30.0 + (POLYGONS // side) * size, n)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        hits = index.locate_many(lngs, lats)
        samples.append(time.perf_counter() - start)
    assert (hits >= 0).mean() > 0.95
    # Correctness spot check against the single-point path.
    for k in range(0, n, 9973):
        single = index.locate(lngs[k], lats[k])
        assert (single.cell_id if single else -1) == (
            index.locations[hits[k]].cell_id if hits[k] >= 0 else -1
        )
    med = statistics.median(samples)
    add(
        "point-in-polygon, bulk (STRtree, vectorised)",
        f"{POLYGONS:,} polygons, {n:,} points",
        med * 1000,
        _common.p95(samples) * 1000,
        f"{n / med:,.0f} points/s",
        "≥ 20,000 points/s",
    )
    single = []
    for k in range(2000):
        start = time.perf_counter()
        index.locate(lngs[k], lats[k])
        single.append(time.perf_counter() - start)
    add(
        "point-in-polygon, one point (locate)",
        f"{POLYGONS:,} polygons",
        statistics.median(single) * 1000,
        _common.p95(single) * 1000,
        f"{1 / statistics.median(single):,.0f} points/s",
        "—",
    )
    add("index build (parse GeoJSON, STRtree)", f"{POLYGONS:,} polygons", build * 1000, None, "—", "—")


# --- command-room map ---------------------------------------------------------------------


def bulk_incidents(township) -> None:
    """INCIDENTS rows spread over every cell, states and categories mixed (set-based SQL)."""
    from zhengtong.grid.models import Category, GridCell

    cells = list(
        GridCell.objects.values_list("id", "org_unit_id", "org_unit__parent__parent_id", "minx", "miny")
    )
    cats = list(Category.objects.values_list("id", flat=True))
    county_id = township.parent_id
    states = ["closed"] * 6 + [
        "dispatched",
        "disposed",
        "registered",
        "reported",
        "verified",
        "suspended",
        "rejected",
    ]
    table = "grid_incident"
    batch = 50_000
    rng = np.random.default_rng(11)
    cols = (
        "state, version, sla_state, category_id, org_unit_id, cell_id, township_id, county_id, lat, lng, address, description, "
        "attributes, source, reporter_name, reporter_phone, reporter_email, escalation_level, token, reported_at, updated_at, status_notes, work_order"
    )
    with connection.cursor() as cursor:
        done = 0
        while done < INCIDENTS:
            n = min(batch, INCIDENTS - done)
            pick = rng.integers(0, len(cells), n)
            rows = []
            for j in range(n):
                cell = cells[pick[j]]
                k = done + j
                rows.append(
                    (
                        states[k % len(states)],
                        0,
                        "overdue" if k % 17 == 0 else "on_time",
                        cats[k % len(cats)],
                        cell[1],
                        cell[0],
                        cell[2],
                        county_id,
                        cell[4] + 0.0015,
                        cell[3] + 0.0015,
                        "bench",
                        "bench",
                        "{}",
                        "import",
                        "",
                        "",
                        "",
                        0,
                        f"{k:024x}",
                        "2026-01-01 00:00:00",
                        "2026-01-01 00:00:00",
                        "",
                        "",
                    )
                )
            placeholders = ",".join(["%s"] * 23)
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({placeholders})", rows)
            done += n
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def bench_map(command, township) -> None:
    from zhengtong.grid import selectors

    with transaction.atomic():
        bulk_incidents(township)
    for state in ("dispatched", "reported"):
        samples = []
        for _ in range(30):
            command._zt_grants = None
            del command._zt_grants
            start = time.perf_counter()
            points = selectors.map_points(command, township.pk, state=state)
            samples.append(time.perf_counter() - start)
        add(
            f"command-room map query (one township, state={state})",
            f"{INCIDENTS:,} incidents, {len(points):,} points",
            statistics.median(samples) * 1000,
            _common.p95(samples) * 1000,
            f"{1 / statistics.median(samples):,.0f}/s",
            "p95 ≤ 200 ms",
        )
    client = Client()
    client.force_login(command)
    client.get("/grid/command/map.json", {"township": township.pk})  # warm up (session, first query)
    samples = []
    for _ in range(20):
        start = time.perf_counter()
        response = client.get("/grid/command/map.json", {"township": township.pk, "state": "dispatched"})
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    add(
        "GET /grid/command/map.json (view: cells GeoJSON + points)",
        f"{INCIDENTS:,} incidents",
        statistics.median(samples) * 1000,
        _common.p95(samples) * 1000,
        f"{1 / statistics.median(samples):,.0f}/s",
        "—",
    )


# --- Open311 POST through gunicorn --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_open311(api_key: str) -> None:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _common.database_url(), "ZHENGTONG_ENV": "test", "DEBUG": "false"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "zhengtong.wsgi",
            "-k",
            WORKER_CLASS,
            "-w",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--keep-alive",
            "30",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=str(Path(__file__).resolve().parent.parent),
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        rng = np.random.default_rng(3)
        latencies: list[float] = []
        errors: list[int] = []
        lock = threading.Lock()
        per_thread = POSTS // CONCURRENCY

        def worker(seed: int, count: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            local_rng = np.random.default_rng(seed)
            mine, bad = [], []
            for _ in range(count):
                lng = 120.0 + local_rng.uniform(0.0001, 0.0299) + local_rng.integers(0, TOWNSHIPS) * 0.03
                lat = 30.0 + local_rng.uniform(0.0001, 0.0149)
                body = urllib.parse.urlencode(
                    {
                        "api_key": api_key,
                        "service_code": "E0101",
                        "lat": f"{lat:.6f}",
                        "long": f"{lng:.6f}",
                        "description": "暴露垃圾 bench",
                    }
                )
                start = time.perf_counter()
                conn.request(
                    "POST",
                    "/open311/v2/requests.json",
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = conn.getresponse()
                response.read()
                mine.append(time.perf_counter() - start)
                if response.status != 201:
                    bad.append(response.status)
            conn.close()
            with lock:
                latencies.extend(mine)
                errors.extend(bad)

        # Warm up every worker (Django, its cell index, caches) with the same concurrency as the run.
        warm = [threading.Thread(target=worker, args=(10_000 + i, 30)) for i in range(CONCURRENCY)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        latencies.clear()
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from loadgen import postgres_cpu_seconds, wrk_requests

        cpu_before = _common.tree_cpu_seconds(server.pid)
        pg_before = postgres_cpu_seconds()
        load_before = os.getloadavg()[0]

        bodies = []
        for _ in range(2000):
            lng = 120.0 + rng.uniform(0.0001, 0.0299) + rng.integers(0, TOWNSHIPS) * 0.03
            lat = 30.0 + rng.uniform(0.0001, 0.0149)
            bodies.append(
                (
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    urllib.parse.urlencode(
                        {
                            "api_key": api_key,
                            "service_code": "E0101",
                            "lat": f"{lat:.6f}",
                            "long": f"{lng:.6f}",
                            "description": "暴露垃圾 bench",
                        }
                    ),
                )
            )
        # wrk (C) when installed (`make bench-tools`), so the client takes little CPU from the server.
        result = wrk_requests(
            port, "/open311/v2/requests.json", bodies, seconds=WRK_SECONDS, connections=CONCURRENCY
        )
        if result is not None:
            total = result["requests"]
            elapsed = total / result["rps"]
            median_ms, p95_ms, client = result["p50_ms"], result["p95_ms"], "wrk"
            errors = [result["errors"]] if result["errors"] else []
        else:
            threads = [threading.Thread(target=worker, args=(i, per_thread)) for i in range(CONCURRENCY)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            total = per_thread * CONCURRENCY
            median_ms, p95_ms, client = (
                statistics.median(latencies) * 1000,
                _common.p95(latencies) * 1000,
                "Python threads",
            )
        cpu_ms = (_common.tree_cpu_seconds(server.pid) - cpu_before) / total * 1000
        pg_ms = (postgres_cpu_seconds() - pg_before) / total * 1000
        assert not errors, f"{len(errors)} failed requests, e.g. {errors[:3]}"
        from zhengtong.audit import log

        log.run_until_idle()
        chain = log.verify_log()  # concurrent POSTs must leave every event in an intact log
        assert chain.ok and chain.checked >= total, chain
        add(
            f"Open311 POST requests.json (gunicorn {WORKERS}×{WORKER_CLASS}"
            f"{f'/{THREADS}' if WORKER_CLASS == 'gthread' else ''}, {CONCURRENCY} connections from {client}; CPU/request: app {cpu_ms:.1f} ms, PostgreSQL {pg_ms:.1f} ms; load {load_before:.1f}→{os.getloadavg()[0]:.1f})",
            f"{total:,} requests",
            median_ms,
            p95_ms,
            f"{total / elapsed:,.0f} req/s",
            "≥ 300/s, p95 ≤ 150 ms",
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    setup_test_environment()
    only_open311 = "--open311-only" in sys.argv  # for trying gunicorn settings quickly
    if not only_open311:
        bench_point_in_polygon()
    with _common.throwaway_database():
        command, township, raw = build_world()
        bench_open311(raw)
        if not only_open311:
            bench_map(command, township)
    _common.print_table(
        f"Zhengtong grid benchmarks ({connection.vendor}, {os.cpu_count()} cores{', full size' if FULL else ''})",
        ROWS,
    )


if __name__ == "__main__":
    main()
