"""Open-government benchmarks: Chinese full-text search over disclosure documents, the deadline
scan over open requests, and an annual report over one department's requests.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at:

    .venv/bin/python bench/opengov.py                      # SQLite file, default sizes
    .venv/bin/python bench/opengov.py --full               # the issue's sizes (1,000,000 each)
    BENCH_DOCUMENTS=20000 BENCH_REQUESTS=50000 .venv/bin/python bench/opengov.py

or, on PostgreSQL, in a database kept between runs (DATABASE_URL's own database, migrated here):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h20 .venv/bin/python bench/opengov.py --full --prepare
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h20 .venv/bin/python bench/opengov.py --full --reuse

``--prepare`` loads what is missing (documents, requests) and measures; ``--reuse`` only
measures (it first puts the requests' clocks back as they were loaded, untimed). The scan runs
as of the day the requests were prepared, so a re-run days later measures the same work.

Sizes: BENCH_DOCUMENTS (default 100,000; full 1,000,000), BENCH_REQUESTS (open requests for the
deadline scan, default 200,000; full 1,000,000), BENCH_REPORT_REQUESTS (requests of the one
department the annual report counts, default 100,000), BENCH_QUERIES (search queries, 300).

- Search: documents generated from a vocabulary of government phrases (title ~20, text ~200
  characters, the text indexed as the platform does), then queries of 2–6 characters drawn
  from the same vocabulary (so selectivity varies from rare to very common), top 20 ranked.
- Deadline scan: ``core.sla.sla_scan`` over open requests whose deadlines are spread over
  ±30 days, i.e. the two set-based UPDATEs moving clocks to due-soon / overdue.
- Annual report: ``opengov.services.reports.generate_tables`` for the department holding
  BENCH_REPORT_REQUESTS requests.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import _common  # noqa: E402 - bench/ is the script's directory

_common.usage_if_asked(__doc__)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Min  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

FULL = "--full" in sys.argv
PREPARE = "--prepare" in sys.argv
REUSE = "--reuse" in sys.argv
KEEP = PREPARE or REUSE
DOCUMENTS = int(os.environ.get("BENCH_DOCUMENTS", 1_000_000 if FULL else 100_000))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 1_000_000 if FULL else 200_000))
REPORT_REQUESTS = int(os.environ.get("BENCH_REPORT_REQUESTS", 100_000))
QUERIES = int(os.environ.get("BENCH_QUERIES", 300))
ROWS: list[tuple[str, ...]] = []
WORDS = [
    "政府",
    "信息",
    "公开",
    "食品",
    "经营",
    "许可",
    "安全",
    "监督",
    "管理",
    "抽检",
    "市场",
    "主体",
    "登记",
    "营业",
    "执照",
    "行政",
    "处罚",
    "规范性",
    "文件",
    "通知",
    "意见",
    "办法",
    "规定",
    "实施",
    "方案",
    "计划",
    "规划",
    "预算",
    "决算",
    "采购",
    "项目",
    "招标",
    "收费",
    "标准",
    "环境",
    "保护",
    "生态",
    "河道",
    "治理",
    "垃圾",
    "分类",
    "交通",
    "道路",
    "公交",
    "停车",
    "住房",
    "保障",
    "租赁",
    "教育",
    "学校",
    "招生",
    "医疗",
    "卫生",
    "医保",
    "养老",
    "服务",
    "社区",
    "街道",
    "乡镇",
    "农村",
    "农业",
    "补贴",
    "就业",
    "创业",
    "社保",
    "工伤",
    "失业",
    "人才",
    "企业",
    "营商",
    "环境",
    "优化",
    "改革",
    "数字",
    "政府",
    "数据",
    "共享",
    "开放",
    "平台",
    "建设",
    "消防",
    "应急",
    "预案",
    "防汛",
    "台风",
    "疫情",
    "防控",
    "统计",
    "公报",
    "经济",
    "运行",
    "财政",
    "税收",
    "审计",
    "整改",
    "督查",
    "考核",
    "公务员",
    "招考",
    "录用",
    "名单",
    "公示",
]


def backend_cpu() -> float:
    """CPU seconds used so far by this process and, on PostgreSQL, by its server backend (same
    machine: read from /proc), so a figure is the work of the query, whatever the load."""
    own = time.process_time()
    if connection.vendor != "postgresql":
        return own
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return own
    return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def peak_mb() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def add(measure, size, median_ms, p95_ms, extra, target, cpu="—") -> None:
    ROWS.append(
        (
            measure,
            size,
            f"{median_ms:.1f} ms" if median_ms is not None else "—",
            f"{p95_ms:.1f} ms" if p95_ms is not None else "—",
            cpu,
            extra,
            target,
            load(),
            peak_mb(),
        )
    )
    print(" | ".join(ROWS[-1]), flush=True)


def _text(rng: random.Random, n_words: int) -> str:
    return "".join(
        rng.choice(WORDS) + (rng.choice("，。、") if rng.random() < 0.15 else "") for _ in range(n_words)
    )


def build_world():
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.services import system_actor

    acc.org_units_load_tree(
        actor=None,
        tree={
            "code": "330000",
            "name": "浙江省",
            "level": "province",
            "children": [
                {
                    "code": "330100",
                    "name": "杭州市",
                    "level": "city",
                    "children": [{"code": "330106", "name": "西湖区", "level": "county", "children": []}],
                }
            ],
        },
    )
    from zhengtong.accounts import selectors as account_selectors
    from zhengtong.accounts.models import Department, User

    xihu = account_selectors.org_unit_get("330106")
    # Found again in a kept database (--reuse, or --prepare run twice).
    dept = Department.objects.filter(org_unit=xihu, code="ogb_scjg").first() or acc.department_create(
        actor=system_actor(), org_unit=xihu, code="ogb_scjg", name="西湖区市场监督管理局"
    )
    other = Department.objects.filter(org_unit=xihu, code="ogb_dsj").first() or acc.department_create(
        actor=system_actor(), org_unit=xihu, code="ogb_dsj", name="西湖区大数据局"
    )
    citizen = User.objects.filter(username="bench_citizen").first() or acc.user_create(
        actor=None, username="bench_citizen", password="Bench-pass-2025!", kind="citizen"
    )
    return xihu, dept, other, citizen


def load_documents(xihu, dept) -> None:
    from zhengtong.opengov import search
    from zhengtong.opengov.models import Document

    rng = random.Random(20)
    today = timezone.localdate()
    start = 0
    if KEEP:
        start = Document.objects.filter(index_number__startswith="B").count()
        if start >= DOCUMENTS:
            return
        rng = random.Random(20 + start)
    if connection.vendor == "postgresql":
        # Bulk load first, index after (as one would restore a catalogue).
        with connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS opengov_document_fts_title, opengov_document_fts_body")
    batch: list[Document] = []
    t0 = time.perf_counter()
    if KEEP:
        _load_documents_sql(xihu, dept, start)
        start_python = DOCUMENTS
    else:
        start_python = start
    for i in range(start_python, DOCUMENTS):
        title = _text(rng, 8)
        body = _text(rng, 90)
        gt, gb = search.grams_for(title, "", body)
        published = today - dt.timedelta(days=rng.randrange(3650))
        batch.append(
            Document(
                index_number=f"B{i:08d}",
                org_unit=xihu,
                department=dept,
                category=rng.choice(["policy", "plan", "statistics", "other"]),
                title=title,
                issuing_body=dept.name,
                issued_on=published,
                published_on=published,
                body=body,
                grams_title=gt,
                grams_body=gb,
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                Document.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            Document.objects.bulk_create(batch)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    search.rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '512MB'")
            for sql in search.PG_TIERS_SETUP[-2:]:
                cur.execute(sql)
            cur.execute("VACUUM ANALYZE opengov_document")
    indexed = time.perf_counter() - t0
    add(
        "load documents (bulk, grams computed)",
        f"{DOCUMENTS - start:,}",
        None,
        None,
        f"{(DOCUMENTS - start) / loaded:,.0f} docs/s",
        "—",
    )
    add("build full-text index", f"{DOCUMENTS:,}", None, None, f"{indexed:.1f} s", "—")


TITLE_POOL = 100_003  # coprime pool sizes: the i-th document pairs title i % 100,003 with
BODY_POOL = 99_991  # body i % 99,991, so a million documents are a million distinct pairs


def _load_documents_sql(xihu, dept, start: int) -> None:
    """PostgreSQL, kept database: titles and texts are generated (and cut into grams) in Python
    once per pool, copied in, and the documents made by one INSERT … SELECT over
    generate_series (a Python loop over a million ORM objects takes most of an hour)."""
    from zhengtong.opengov import search

    rng = random.Random(20)
    titles = [_text(rng, 8) for _ in range(TITLE_POOL)]
    bodies = [_text(rng, 90) for _ in range(BODY_POOL)]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_og_title, bench_og_body")
        cur.execute("CREATE UNLOGGED TABLE bench_og_title (n int PRIMARY KEY, title text, grams text)")
        cur.execute("CREATE UNLOGGED TABLE bench_og_body (n int PRIMARY KEY, body text, grams text)")
        raw = cur.cursor
        with raw.copy("COPY bench_og_title (n, title, grams) FROM STDIN") as copy:
            for n, title in enumerate(titles):
                copy.write_row((n, title, search.grams_for(title, "", "")[0]))
        with raw.copy("COPY bench_og_body (n, body, grams) FROM STDIN") as copy:
            for n, body in enumerate(bodies):
                copy.write_row((n, body, search.grams_for("", "", body)[1]))
        cur.execute(
            """
            INSERT INTO opengov_document (index_number, category, topic, title, doc_number, issuing_body,
                issued_on, published_on, validity, body, grams_title, grams_body, created_at, updated_at,
                department_id, org_unit_id)
            SELECT 'B' || lpad(i::text, 8, '0'),
                   (ARRAY['policy','plan','statistics','other'])[1 + (i * 7) %% 4], '', t.title, '', %(issuer)s,
                   CURRENT_DATE - (i * 37) %% 3650, CURRENT_DATE - (i * 37) %% 3650, 'valid', b.body,
                   t.grams, b.grams, now(), now(), %(dept)s, %(unit)s
            FROM generate_series(%(start)s, %(end)s) AS i
            JOIN bench_og_title t ON t.n = i %% 100003
            JOIN bench_og_body b ON b.n = i %% 99991
            ORDER BY i
            """,
            {"issuer": dept.name, "dept": dept.pk, "unit": xihu.pk, "start": start, "end": DOCUMENTS - 1},
        )
        cur.execute("DROP TABLE bench_og_title, bench_og_body")


def bench_search() -> None:
    from zhengtong.opengov import selectors

    rng = random.Random(20)
    queries = []
    for _ in range(QUERIES):
        phrase = "".join(rng.choice(WORDS) for _ in range(3))
        length = rng.randint(2, 6)
        start = rng.randrange(max(1, len(phrase) - length + 1))
        queries.append(phrase[start : start + length])
    # Rare queries too: a word of the vocabulary followed by the start of another that it never
    # precedes in a title (phrases across words are rarer than the words), and two-character
    # queries made of two words' edges.
    for _ in range(QUERIES // 3):
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        queries.append(a[-1] + b[0] if rng.random() < 0.5 else a + b[:2])
    for label, batch_queries in (
        ("substrings of three random words", queries[:QUERIES]),
        ("a word and the start of another", queries[QUERIES:]),
    ):
        times, cpu, hits = [], [], 0
        selectors.documents_search(batch_queries[0], limit=20)  # warm the connection
        for q in batch_queries:
            c0 = backend_cpu()
            t0 = time.perf_counter()
            found = selectors.documents_search(q, limit=20)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((backend_cpu() - c0) * 1000)
            hits += len(found) == 20
        times.sort()
        add(
            f"full-text search, 2–6 Han characters, top 20 ranked: {label}",
            f"{DOCUMENTS:,} docs, {len(batch_queries)} queries",
            statistics.median(times),
            times[int(len(times) * 0.95) - 1],
            f"{hits}/{len(batch_queries)} with a full page",
            "p50 ≤ 50 ms at 1,000,000",
            f"{statistics.median(cpu):.1f} ms",
        )


def load_requests(dept, other, citizen) -> None:
    from zhengtong.opengov.models import InfoRequest

    rng = random.Random(21)
    today = timezone.localdate()
    now = timezone.now()
    start = 0
    if KEEP:
        start = InfoRequest.objects.filter(number__startswith="GKB").count()
        if start >= REQUESTS:
            return
        rng = random.Random(21 + start)
    if KEEP and start > REPORT_REQUESTS:
        _clone_requests(start)
        return
    batch: list[InfoRequest] = []
    for i in range(start, REQUESTS):
        report_dept = i < REPORT_REQUESTS
        deadline = today + dt.timedelta(days=rng.randint(-30, 30))
        created = now - dt.timedelta(days=rng.randint(0, 360))
        replied = rng.random() < 0.3 and report_dept
        batch.append(
            InfoRequest(
                number=f"GKB{i:09d}",
                requester=citizen,
                org_unit=dept.org_unit,
                department=dept if report_dept else other,
                description="请公开……",
                state="replied" if replied else "received",
                reply_type=rng.choice(["disclosed", "partly", "not_held", "not_disclosable"])
                if replied
                else "",
                replied_at=created + dt.timedelta(days=10) if replied else None,
                sla_working_days=20,
                sla_started_on=deadline - dt.timedelta(days=28),
                sla_deadline=deadline,
                sla_due_soon_on=deadline - dt.timedelta(days=4),
                sla_state="stopped" if replied else "on_time",
                created_at=created,
            )
        )
        if len(batch) == 5000:
            with transaction.atomic():
                InfoRequest.objects.bulk_create(batch)
            batch = []
    if batch:
        with transaction.atomic():
            InfoRequest.objects.bulk_create(batch)


def _clone_requests(start: int) -> None:
    """The rest of the requests (all of the other department, open, on time) in one INSERT …
    SELECT over generate_series, copying a loaded one with a new number, deadline (spread over
    ±30 days of today) and receipt time."""
    from zhengtong.opengov.models import InfoRequest

    qn = connection.ops.quote_name
    exprs = {
        "number": "'GKB' || lpad(i::text, 9, '0')",
        "sla_deadline": "CURRENT_DATE + ((i * 7919) %% 61 - 30)::int",
        "sla_started_on": "CURRENT_DATE + ((i * 7919) %% 61 - 30)::int - 28",
        "sla_due_soon_on": "CURRENT_DATE + ((i * 7919) %% 61 - 30)::int - 4",
        "created_at": "now() - ((i * 31) %% 361) * interval '1 day'",
    }
    fields = [f for f in InfoRequest._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(exprs.get(f.column, f"src.{qn(f.column)}") for f in fields)
    source = f"GKB{REPORT_REQUESTS:09d}"
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO opengov_inforequest ({columns}) SELECT {values} "  # noqa: S608 - names from the model
            "FROM generate_series(%s::bigint, %s::bigint) AS i, (SELECT * FROM opengov_inforequest WHERE number = %s) AS src",
            [start, REQUESTS - 1, source],
        )


def _reset_clocks() -> dt.date:
    """Put the prepared requests' clocks back as they were loaded (every open one on time) and
    return the day they were prepared on (their deadlines are spread ±30 days around it)."""
    from zhengtong.opengov.models import InfoRequest

    prepared = InfoRequest.objects.filter(number__startswith="GKB").aggregate(d=Min("sla_deadline"))["d"]
    InfoRequest.objects.filter(number__startswith="GKB", sla_state__in=["overdue", "due_soon"]).update(
        sla_state="on_time"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE opengov_inforequest")
    return prepared + dt.timedelta(days=30)


def bench_scan(dept) -> None:
    from zhengtong.core import sla

    day = _reset_clocks()
    today = timezone.localdate()
    # First the catch-up scan (every clock loaded as on time, so about half become overdue at
    # once: the worst case), then the next days' scans (what the periodic task does each day).
    for label, on in (
        ("catch-up: all loaded on time", day),
        ("the next day", day + dt.timedelta(days=1)),
        ("the day after", day + dt.timedelta(days=2)),
    ):
        c0 = backend_cpu()
        t0 = time.perf_counter()
        report = sla.sla_scan(on=on)
        took = (time.perf_counter() - t0) * 1000
        scan_cpu = backend_cpu() - c0
        moved = report.get("opengov.inforequest", {})
        add(
            f"deadline scan (core.sla.sla_scan), {label}",
            f"{REQUESTS:,} requests",
            took,
            None,
            f"{moved.get('overdue', 0):,} overdue, {moved.get('due_soon', 0):,} due soon",
            "≤ 5 s at 1,000,000",
            f"{scan_cpu * 1000:.0f} ms",
        )
    from zhengtong.opengov.services.reports import generate_tables

    times, cpu = [], []
    for _ in range(3):
        c0 = backend_cpu()
        t0 = time.perf_counter()
        tables = generate_tables(dept, today.year)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((backend_cpu() - c0) * 1000)
    add(
        "annual report tables, one department",
        f"{REPORT_REQUESTS:,} requests",
        statistics.median(times),
        max(times),
        f"{tables['received']['new']['total']:,} new this year",
        "≤ 10 s",
        f"{statistics.median(cpu):.0f} ms",
    )


def main() -> None:
    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, not memory: a million documents do not fit in RAM next to everyone else's work.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(
            Path(settings.VAR_DIR) / "bench_opengov.sqlite3"
        )
    if KEEP:
        if connection.vendor != "postgresql":
            raise SystemExit("--prepare / --reuse keep their data in a PostgreSQL database (DATABASE_URL)")
        call_command("migrate", verbosity=0)
        xihu, dept, other, citizen = build_world()
        if PREPARE:
            load_documents(xihu, dept)
            load_requests(dept, other, citizen)
        bench_search()
        bench_scan(dept)
        return _print()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        xihu, dept, other, citizen = build_world()
        load_documents(xihu, dept)
        load_requests(dept, other, citizen)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE opengov_inforequest")
        bench_search()
        bench_scan(dept)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    _print()


def _print() -> None:
    table = Table(
        title=f"Zhengtong opengov benchmarks ({connection.vendor}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}{', full size' if FULL else ''})"
    )
    for col in ("measure", "size", "median", "p95", "CPU/op", "result", "target", "load", "peak RSS"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console(width=180).print(table)


if __name__ == "__main__":
    main()
