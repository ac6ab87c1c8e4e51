"""Cockpit benchmarks: materialization (full and incremental), cockpit page server time, drill-down,
live-feed ingestion.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at:

    .venv/bin/python bench/cockpit.py                     # SQLite, small sizes (the default)
    BENCH_DAYS=365 BENCH_PER_DAY=40 .venv/bin/python bench/cockpit.py

Sizes: a province with 2 cities × 2 counties × 3 townships (12 leaf units); BENCH_DAYS (60) days of
history with BENCH_PER_DAY (8) cases, hotline work orders and incidents per unit and day (about half
the decided cases rated); then one more day of BENCH_NEW_DAY (2,000) of each for the incremental run.
The issue's targets (1,000,000 rows each, PostgreSQL) need far more than the shared 2-core machine
allows during the team's work; the table says which sizes were measured.

- full materialization: ``cockpit_recompute`` of every indicator over the history;
- incremental: the worker's run after one day of new records (what changed since the watermark);
- cockpit page: ``GET /cockpit/<county>/`` as the county's leader through the Django test client
  (server time, without network), p50/p95 over BENCH_REQUESTS (30), and its query count; the
  province page; the drill-down to a township (its page);
- live feed: a message is one reading (``{"station", "aqi"}``). HTTP: BENCH_PUSHES (20) signed pushes
  of 500 readings through ``POST /api/v1/cockpit/feeds/<code>/messages`` (test client: the view, the
  signature, the schema, the windows, the threshold check), readings per second and CPU per reading;
  MQTT: BENCH_MQTT_MESSAGES (20,000) readings in MQTT messages of BENCH_MQTT_BATCH (50) readings
  each (a sender's burst; 1 for one reading per message), each message its own signed envelope,
  published with QoS 0 (telemetry; QoS 1 is limited by the broker's 20 messages in flight per client) to the local Mosquitto and ingested by ``cockpit_mqtt``'s subscriber in a
  thread of this process (ticks of COCKPIT_FEED_FLUSH_MS), from the first publish until every
  reading is in its window; threshold events: the time from the push (HTTP) or the publish (MQTT)
  of a reading over the threshold until its FeedEvent is visible to another connection.

The issue's sizes (PostgreSQL only): ``BENCH_ROWS=1000000`` generates BENCH_DAYS of records through
the ORM as a sample, then copies the sample in SQL (``INSERT … SELECT … CROSS JOIN
generate_series``, each copy shifted back by whole days over BENCH_SPREAD (365) days, unique
numbers from md5) until there are about BENCH_ROWS cases, work orders and incidents, and rates
half the decided cases in SQL. The incremental run then adds one day of BENCH_NEW_DAY records of
each kind through the ORM. ``BENCH_KEEP=1`` keeps the database (and reuses it when it has data),
so the page measurements can be repeated without generating again. CPU time is this process's plus
the PostgreSQL backend's (``/proc/<pg_backend_pid>/stat``: same machine).

Prepared data (the 1,000,000-row set-up takes many minutes, so it is done once):

    BENCH_ROWS=1000000 BENCH_NEW_DAY=12500 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h13 \\
        .venv/bin/python bench/cockpit.py --prepare      # migrate, generate, copy, full recompute
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h13 \\
        .venv/bin/python bench/cockpit.py --reuse        # measure only, on the prepared database

Quiet-window run (from the worktree). Not measured quietly: from the CPU figures at load 27 (the
recomputation 149 s of CPU over 2 processes, the rest under a minute of CPU) a quiet 2-core machine
should take 2–4 minutes; if the recomputation alone passes 4 minutes, run ``--only
incremental,pages,feed`` and ``--only full`` separately:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h13 PYTHONPATH=. .venv/bin/python bench/cockpit.py --reuse

``--prepare`` and ``--reuse`` work in the database DATABASE_URL names itself (not a ``test_``
copy) and leave it in place. ``--reuse`` refuses to run on a database that was not prepared;
``--only full,incremental,pages,feed`` picks the measures (all by default; ``full`` is the
365-day recomputation, ``incremental`` adds one more day of records each time it runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument(
    "--prepare", action="store_true", help="generate the data in DATABASE_URL's database and keep it"
)
PARSER.add_argument("--reuse", action="store_true", help="measure only, on a database made by --prepare")
PARSER.add_argument("--only", default="full,incremental,pages,feed", help="comma-separated measures to run")
ARGS = PARSER.parse_args() if __name__ == "__main__" else PARSER.parse_args([])
ONLY = set(ARGS.only.split(","))

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

DAYS = int(os.environ.get("BENCH_DAYS", 60))
PER_DAY = int(os.environ.get("BENCH_PER_DAY", 8))
NEW_DAY = int(os.environ.get("BENCH_NEW_DAY", 12_500 if ARGS.prepare or ARGS.reuse else 2_000))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 30))
PUSHES = int(os.environ.get("BENCH_PUSHES", 20))
ROWS = int(os.environ.get("BENCH_ROWS", 0))
SPREAD = int(os.environ.get("BENCH_SPREAD", 365))
KEEP = os.environ.get("BENCH_KEEP", "") == "1"
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
# --prepare / --reuse: the database DATABASE_URL names itself, kept.
IN_PLACE = ARGS.prepare or ARGS.reuse


def backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (0 elsewhere)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu() -> float:
    """This process's and its children's CPU seconds (the recompute's worker processes, once
    they have ended) plus this connection's PostgreSQL backend's."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + backend_cpu()


class BackendSampler:
    """CPU seconds of the other PostgreSQL backends of this database while they live (the
    recompute's worker processes each have their own connection): sampled from /proc every half
    second, the last sample of each backend counted (so up to half a second of each is missed)."""

    def __init__(self) -> None:
        import threading

        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sample(self) -> None:
        from django.db import connection as conn  # this thread's own connection

        with conn.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            pids = [r[0] for r in cur.fetchall()]
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        from django.db import connection as conn

        while not self.stop.wait(0.5):
            self.sample()
        conn.close()

    def __enter__(self):
        if connection.vendor == "postgresql":
            self.sample()
            self.before = dict(self.seen)
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.thread.is_alive():
            self.stop.set()
            self.thread.join()
        self.total = sum(v - getattr(self, "before", {}).get(pid, 0.0) for pid, v in self.seen.items())


def replicate(model, copies: int, base_max_id: int) -> None:
    """``copies`` copies of the rows with id ≤ base_max_id, each copy's dates shifted back by
    (copy % SPREAD) days, unique char fields from md5 (PostgreSQL)."""
    from django.db import models as m

    cols, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        c = connection.ops.quote_name(f.column)
        if f.unique:
            expr = f"left(md5(t.id::text || '-' || g::text), {f.max_length})"
        elif isinstance(f, m.DateTimeField):
            expr = f"t.{c} - make_interval(days => g % {SPREAD})"
        elif isinstance(f, m.DateField):
            expr = f"t.{c} - (g % {SPREAD})"
        else:
            expr = f"t.{c}"
        cols.append(c)
        exprs.append(expr)
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM {table} t "
            f"CROSS JOIN generate_series(1, {copies}) g WHERE t.id <= {base_max_id}"
        )


# The staged-rating columns (services 0007): an end-of-case rating on the web, not contested.
RATING_DEFAULT_COLUMNS = "stage, channel, reasons, verdict, dispute, dispute_reason, dispute_result, excluded"
RATING_DEFAULT_VALUES = "'ended', 'web', '[]', '', '', '', '', false"


def rate_today(n: int) -> int:
    """``n`` ratings given in the last hours, of decided cases not rated yet (PostgreSQL): the
    ratings of one day's events (a rating follows a decision, so not of today's new cases)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO services_rating (case_id, applicant_id, item_id, department_id, org_unit_id,
                score, sub_scores, comment, state, work_order_id, rectification_result, appeal_reason,
                appeal_result, created_at, rectified_at, updated_at, {RATING_DEFAULT_COLUMNS})
            SELECT c.id, c.applicant_id, c.item_id, c.department_id, o.id, 1 + c.id % 5, '{{}}', '',
                'recorded', NULL, '', '', '', now() - make_interval(mins => (c.id % 600)::int), NULL, now(),
                {RATING_DEFAULT_VALUES}
            FROM services_case c JOIN accounts_orgunit o ON o.path = c.org_path
            WHERE c.completed_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM services_rating r WHERE r.case_id = c.id)
            ORDER BY c.id DESC LIMIT {int(n)}"""
        )
        return cur.rowcount


def rate_in_sql() -> None:
    """Ratings of half the decided cases without one, 3 hours after the decision (PostgreSQL)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO services_rating (case_id, applicant_id, item_id, department_id, org_unit_id,
                score, sub_scores, comment, state, work_order_id, rectification_result, appeal_reason,
                appeal_result, created_at, rectified_at, updated_at, {RATING_DEFAULT_COLUMNS})
            SELECT c.id, c.applicant_id, c.item_id, c.department_id, o.id, 1 + c.id % 5, '{{}}', '',
                CASE WHEN c.id % 5 < 2 THEN (ARRAY['recorded', 'rectified', 'rectifying'])[1 + c.id % 3]
                     ELSE 'recorded' END,
                NULL, '', '', '', least(c.completed_at + interval '3 hours', now()),
                CASE WHEN c.id % 5 < 2 AND c.id % 3 = 1
                     THEN least(c.completed_at + interval '51 hours', now()) END,
                now(), {RATING_DEFAULT_VALUES}
            FROM services_case c JOIN accounts_orgunit o ON o.path = c.org_path
            WHERE c.completed_at IS NOT NULL AND c.id % 2 = 0
              AND NOT EXISTS (SELECT 1 FROM services_rating r WHERE r.case_id = c.id)"""
        )


def build():
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import OrgUnit
    from zhengtong.accounts.services import system_actor

    cities = []
    for c, city in enumerate(("330100", "330700")):
        counties = []
        for k in range(2):
            county = f"{city[:4]}{k + 2:02d}"
            towns = [
                {
                    "code": f"{county}{t + 1:03d}",
                    "name": f"街道{county}{t}",
                    "level": "township",
                    "children": [],
                }
                for t in range(3)
            ]
            counties.append({"code": county, "name": f"县{county}", "level": "county", "children": towns})
        cities.append({"code": city, "name": f"市{c}", "level": "city", "children": counties})
    acc.org_units_load_tree(
        actor=None, tree={"code": "330000", "name": "浙江省", "level": "province", "children": cities}
    )
    system = system_actor()
    counties = list(OrgUnit.objects.filter(level="county").order_by("code"))
    departments = [
        acc.department_create(actor=system, org_unit=c, code="scjg", name=f"{c.name}市场监管局")
        for c in counties
    ]
    citizen = acc.user_create(
        actor=None, username="bench_citizen", password="Bench-pass-2025!", kind="citizen"
    )
    province = OrgUnit.objects.get(code="330000")
    leaders = {}
    for unit in (province, counties[0]):
        user = acc.user_create(
            actor=system,
            username=f"leader_{unit.code}",
            password="Bench-pass-2025!",
            kind="staff",
            org_unit=unit,
        )
        acc.role_grant(actor=system, user=user, role="leader", org_unit=unit)
        leaders[unit.code] = user
    admin = acc.user_create(
        actor=system, username="feed_admin", password="Bench-pass-2025!", kind="staff", org_unit=counties[0]
    )
    acc.role_grant(actor=system, user=admin, role="org_admin", org_unit=counties[0])
    townships = list(OrgUnit.objects.filter(level="township").order_by("code"))
    return province, counties, townships, departments, citizen, leaders, admin


def timed(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    from django.core.management import call_command

    from zhengtong.cockpit.models import IndicatorValue
    from zhengtong.cockpit.services import materialize
    from zhengtong.cockpit.tests.generate import Scope, generate

    console = Console(width=200)
    # No setup_test_environment(): it instruments every template render for the test client
    # (copies of each context), which a server does not do. One connection for the whole run, as a server with persistent connections has (and so the
    # query counter sees every query of a request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    if IN_PLACE:
        old_name = None
        call_command("migrate", verbosity=0)
    else:
        old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, keepdb=KEEP, serialize=False
        )
    rows = []
    try:
        from zhengtong.accounts.models import Department, OrgUnit, User
        from zhengtong.services.models import Case
        from zhengtong.workorders.models import WorkOrder

        reuse = (KEEP or IN_PLACE) and OrgUnit.objects.filter(code="330000").exists()
        if ARGS.reuse and not reuse:
            sys.exit("--reuse: this database was not prepared (run --prepare first)")
        if ARGS.prepare and reuse:
            sys.exit("--prepare: this database already holds data (measure with --reuse)")
        if reuse:
            province = OrgUnit.objects.get(code="330000")
            counties = list(OrgUnit.objects.filter(level="county").order_by("code"))
            townships = list(OrgUnit.objects.filter(level="township").order_by("code"))
            departments = list(Department.objects.filter(code="scjg").order_by("org_unit__code"))
            citizen = User.objects.get(username="bench_citizen")
            leaders = {u.org_unit.code: u for u in User.objects.filter(username__startswith="leader_")}
            admin = User.objects.get(username="feed_admin")
        else:
            province, counties, townships, departments, citizen, leaders, admin = build()
        scope = Scope(units=townships, departments=departments, applicant=citizen)
        today = timezone.localdate()
        history = [today - dt.timedelta(days=i) for i in range(DAYS, 0, -1)]
        from zhengtong.grid.models import Incident
        from zhengtong.services.models import Rating

        if not reuse:
            t = time.perf_counter()
            made = generate(scope, days=history, per_day=PER_DAY, seed=1)
            console.print(f"generated {made} in {time.perf_counter() - t:.1f} s")
            if ROWS and connection.vendor == "postgresql":
                t = time.perf_counter()
                for model in (Case, WorkOrder, Incident):
                    base = model.objects.count()
                    top = model.objects.order_by("-id").values_list("id", flat=True).first()
                    replicate(model, max(0, ROWS // max(base, 1) - 1), top)
                rate_in_sql()
                with connection.cursor() as cur:
                    cur.execute("ANALYZE")
                console.print(
                    f"copied in SQL to {Case.objects.count():,} cases in {time.perf_counter() - t:.1f} s"
                )
        made = {
            "cases": Case.objects.count(),
            "work_orders": WorkOrder.objects.count(),
            "incidents": Incident.objects.count(),
            "ratings": Rating.objects.count(),
        }
        size = f"{made['cases']:,} cases, {made['work_orders']:,} orders, {made['incidents']:,} incidents, {made['ratings']:,} ratings"
        history_days = SPREAD if ROWS or IN_PLACE else DAYS + 1

        full_run = (
            not (reuse and IndicatorValue.objects.exists())
            or os.environ.get("BENCH_FULL") == "1"
            or (ARGS.reuse and "full" in ONLY)
        )
        if full_run:
            t, c = time.perf_counter(), cpu()
            with open(os.devnull, "w") as devnull, BackendSampler() as others:
                call_command(
                    "cockpit_recompute",
                    "--days",
                    str(history_days),
                    "--no-progress",
                    "--workers",
                    str(WORKERS),
                    stdout=devnull,
                )
            full, full_cpu = time.perf_counter() - t, cpu() - c + others.total
            rows.append(
                (
                    "full materialization",
                    f"{history_days} days; {size}",
                    f"{full:.2f} s",
                    f"CPU {full_cpu:.1f} s (Python + PostgreSQL backends), {WORKERS} processes",
                    f"{IndicatorValue.objects.count():,} stored values; load {os.getloadavg()[0]:.1f}",
                )
            )
            # The watermark keeps a minute of slack (rows saved just before a run are looked at
            # again): let the history age past it, as it has on a running installation, then set
            # every watermark.
            time.sleep(max(0.0, 61 - full))
        if (
            not ARGS.prepare
            and ("incremental" in ONLY or not ARGS.reuse)
            and (full_run or os.environ.get("BENCH_INCREMENTAL", "1") == "1")
        ):
            materialize.materialize()
            per_unit = max(1, NEW_DAY // len(townships))
            new = generate(scope, days=[today], per_day=per_unit, seed=int(time.time()))
            if (ROWS or IN_PLACE) and connection.vendor == "postgresql":
                new["ratings"] += rate_today(NEW_DAY)
            t, c = time.perf_counter(), cpu()
            done = materialize.materialize()
            inc, inc_cpu = time.perf_counter() - t, cpu() - c
            slowest = sorted(done.items(), key=lambda kv: -kv[1].get("seconds", 0))[:6]
            console.print(
                "incremental, slowest: "
                + ", ".join(f"{c} {v['seconds']} s ({v['days']} days)" for c, v in slowest)
            )
            rows.append(
                (
                    "incremental materialization",
                    f"one day: {new['cases']:,} cases, {new['work_orders']:,} orders, {new['incidents']:,} incidents, {new['ratings']:,} ratings",
                    f"{inc:.2f} s",
                    f"CPU {inc_cpu:.1f} s",
                    f"target ≤ 10 s for 50,000; load {os.getloadavg()[0]:.1f}",
                )
            )

        pages = (
            ("cockpit page, county", leaders[counties[0].code], f"/cockpit/{counties[0].code}/"),
            ("cockpit page, province", leaders["330000"], "/cockpit/330000/"),
            ("drill-down to a township", leaders["330000"], f"/cockpit/{townships[0].code}/"),
            ("cockpit API, county", leaders[counties[0].code], f"/api/v1/cockpit/units/{counties[0].code}"),
            (
                "drill-through records, township",
                leaders["330000"],
                f"/api/v1/cockpit/units/{townships[0].code}/records?indicator=grid.received",
            ),
        )
        if ARGS.prepare or "pages" not in ONLY:
            pages = ()
        from zhengtong.cockpit.services.materialize import STORE_CACHE
        from zhengtong.core import cache as core_cache
        from zhengtong.core.indicators import indicators

        codes = [i.code for i in indicators()]
        for label, user, url in pages:
            client = Client()
            client.force_login(user)
            assert client.get(url).status_code == 200, url
            sep = "&" if "?" in url else "?"
            # Uncached: a stream of distinct requests (another indicator and end day each time)
            # with the store cache invalidated before each, as after every materialization run.
            distinct = [
                f"{url}{sep}indicator={codes[i % len(codes)]}&end={today - dt.timedelta(days=i)}"
                for i in range(REQUESTS)
            ]
            for mode in ("uncached", "cached"):
                core_cache.invalidate(STORE_CACHE)
                if mode == "cached":
                    client.get(url)  # the first view fills the cache

                stream = iter(distinct)

                def one(u=url, c=client, mode=mode, stream=stream):
                    if mode == "uncached":
                        core_cache.invalidate(STORE_CACHE)
                        u = next(stream)
                    assert c.get(u).status_code == 200, u

                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as q:
                    one(stream=iter([url])) if mode == "uncached" else one()
                queries = len(q.captured_queries)
                if mode == "uncached":
                    core_cache.invalidate(STORE_CACHE)
                c0 = cpu()
                p50, p95 = timed(one, REQUESTS)
                per = (cpu() - c0) / REQUESTS * 1000
                rows.append(
                    (
                        f"{label} ({mode})",
                        size,
                        f"p50 {p50:.0f} ms",
                        f"p95 {p95:.0f} ms",
                        f"{queries} queries; CPU {per:.0f} ms/request; load {os.getloadavg()[0]:.1f}",
                    )
                )

        if ARGS.prepare or "feed" not in ONLY:
            return finish(console, rows)
        feed_measures(rows, admin, counties[0])
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=KEEP)
    finish(console, rows)


FEED_SCHEMA = {
    "type": "object",
    "required": ["station", "aqi"],
    "properties": {"station": {"type": "string"}, "aqi": {"type": "number"}},
}
MQTT_MESSAGES = int(os.environ.get("BENCH_MQTT_MESSAGES", 20_000))
# Readings per MQTT message (a sender's burst); 1 measures one reading per message.
MQTT_BATCH = int(os.environ.get("BENCH_MQTT_BATCH", 50))


def _new_feed(admin, unit, tag: str):
    from zhengtong.cockpit.services import feeds

    return feeds.feed_create(
        actor=admin,
        code=f"bench-{tag}-{int(time.time() * 1000) % 10**9}",
        name=f"bench {tag}",
        org_unit=unit,
        key_field="station",
        metric="aqi",
        schema=FEED_SCHEMA,
        threshold=150,
    )


def feed_measures(rows, admin, unit) -> None:
    """A message is one reading ({"station", "aqi"}); a push is one signed body carrying one or more.
    HTTP: signed pushes of 500 readings through the real endpoint (Django test client, no network).
    MQTT: MQTT_MESSAGES single-reading messages, each its own signed envelope, published to the
    local Mosquitto and ingested by the subscriber of ``cockpit_mqtt`` running in a thread here
    (one tick of COCKPIT_FEED_FLUSH_MS per transaction). Threshold events: a reading over the
    threshold at a new station, timed from the push (HTTP) or the publish (MQTT) to its FeedEvent."""
    import threading

    import paho.mqtt.client as mqtt
    from django.conf import settings

    from zhengtong.cockpit.management.commands import cockpit_mqtt
    from zhengtong.cockpit.models import FeedEvent, FeedWindow
    from zhengtong.cockpit.services import feeds

    load = f"load {os.getloadavg()[0]:.1f}"
    feed, secret = _new_feed(admin, unit, "http")
    client = Client()
    url = f"/api/v1/cockpit/feeds/{feed.code}/messages"

    def push(body: bytes):
        r = client.post(
            url,
            body,
            content_type="application/json",
            headers={"X-Zhengtong-Signature": "sha256=" + feeds.sign(secret, body)},
        )
        assert r.status_code == 200, r.content[:300]
        return r.json()

    bodies = []
    for i in range(PUSHES):
        msgs = [{"station": f"s{j % 50}", "aqi": 50 + ((i + j) % 30)} for j in range(500)]
        bodies.append(json.dumps({"messages": msgs}).encode())
    push(json.dumps({"station": "warm", "aqi": 1}).encode())  # first request: URL and API set-up
    t, c = time.perf_counter(), cpu()
    for body in bodies:
        push(body)
    dur, dur_cpu = time.perf_counter() - t, cpu() - c
    n = PUSHES * 500
    rows.append(
        (
            "live feed, HTTP push",
            f"{PUSHES} pushes × 500 readings, 50 stations",
            f"{n / dur:,.0f} msg/s",
            f"CPU {dur_cpu / n * 1e6:.0f} µs/message",
            load,
        )
    )
    lat = []
    for i in range(10):
        body = json.dumps({"station": f"hot{i}", "aqi": 400}).encode()
        t = time.perf_counter()
        out = push(body)
        lat.append((time.perf_counter() - t) * 1000)
        assert out["events"], out
    lat.sort()
    rows.append(
        (
            "threshold event, HTTP",
            "push → work order opened",
            f"p50 {statistics.median(lat):.0f} ms",
            f"p95 {lat[-1]:.0f} ms",
            load,
        )
    )

    # MQTT end to end: the subscriber in a thread of this process, the publisher here.
    feed, secret = _new_feed(admin, unit, "mqtt")
    topic = settings.COCKPIT_MQTT_TOPIC.replace("+", feed.code)
    buffer = feeds.FeedBuffer(
        seconds=settings.COCKPIT_FEED_FLUSH_MS / 1000, max_pushes=settings.COCKPIT_FEED_FLUSH_PUSHES
    )
    subscribed, stop = threading.Event(), threading.Event()
    sub = cockpit_mqtt.subscriber(buffer, client_id=f"bench-sub-{os.getpid()}", on_subscribe=subscribed.set)

    def serve():
        from django.db import connection as conn

        try:
            cockpit_mqtt.run(sub, buffer, stop=stop)
        finally:
            sub.disconnect()
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert subscribed.wait(10), "no MQTT subscription (is Mosquitto at COCKPIT_MQTT_HOST:PORT?)"
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{os.getpid()}")
    pub.connect(settings.COCKPIT_MQTT_HOST, settings.COCKPIT_MQTT_PORT)
    pub.loop_start()

    def envelope(reading: dict) -> bytes:
        body = json.dumps(reading)
        return json.dumps({"signature": feeds.sign(secret, body.encode()), "body": body}).encode()

    payloads = [
        envelope(
            {"messages": [{"station": f"m{j % 50}", "aqi": 50 + (j % 30)} for j in range(i, i + MQTT_BATCH)]}
        )
        for i in range(0, MQTT_MESSAGES, MQTT_BATCH)
    ]

    def ingested() -> int:
        return sum(FeedWindow.objects.filter(feed=feed).values_list("count", flat=True))

    t, c = time.perf_counter(), cpu()
    for p in payloads:
        pub.publish(topic, p, qos=0)
    deadline = time.perf_counter() + 120
    while ingested() < MQTT_MESSAGES and time.perf_counter() < deadline:
        time.sleep(0.05)
    dur, dur_cpu = time.perf_counter() - t, cpu() - c
    got = ingested()
    rows.append(
        (
            f"live feed, MQTT ({MQTT_BATCH} readings per message)",
            f"{got:,} of {MQTT_MESSAGES:,} readings, flush every {settings.COCKPIT_FEED_FLUSH_MS} ms",
            f"{got / dur:,.0f} msg/s",
            f"CPU {dur_cpu / max(got, 1) * 1e6:.0f} µs/message (publisher and subscriber)",
            load,
        )
    )
    lat = []
    for i in range(20):
        key = f"hot{i}"
        sent = timezone.now()
        pub.publish(topic, envelope({"station": key, "aqi": 400}), qos=0)
        deadline = time.perf_counter() + 10
        seen = None
        while seen is None and time.perf_counter() < deadline:
            if FeedEvent.objects.filter(feed=feed, key=key).exists():
                seen = timezone.now()  # committed and visible to another connection
            else:
                time.sleep(0.01)
        assert seen is not None, f"no threshold event for {key}"
        lat.append((seen - sent).total_seconds() * 1000)
    lat.sort()
    rows.append(
        (
            "threshold event, MQTT",
            "publish → work order opened",
            f"p50 {statistics.median(lat):.0f} ms",
            f"p95 {lat[int(len(lat) * 0.95) - 1]:.0f} ms",
            load,
        )
    )
    pub.loop_stop()
    pub.disconnect()
    stop.set()
    thread.join(10)


TARGETS = {
    "full materialization": "≤ 300 s on 2 cores",
    "incremental materialization": "≤ 10 s for 50,000 events",
    "cockpit page, county": "p95 ≤ 300 ms, constant queries",
    "drill-down to a township": "p95 ≤ 300 ms",
    "live feed": "≥ 5,000 msg/s",
    "threshold event": "p95 ≤ 2 s",
}


def finish(console, rows) -> None:
    table = Table(
        title=f"cockpit benchmarks ({connection.vendor}, load {' '.join(map('{:.1f}'.format, os.getloadavg()))})"
    )
    for col in ("operation", "size", "median / total", "p95 / CPU", "note", "target"):
        table.add_column(col)
    for r in rows:
        target = next((v for k, v in TARGETS.items() if r[0].startswith(k)), "")
        table.add_row(*r, target)
    console.print(table)


if __name__ == "__main__":
    main()
