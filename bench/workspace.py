"""Workspace benchmarks: message fan-out to a 500-member group with read receipts, directory
search, the 督办 view.

Runs in a throwaway database (created and dropped here) on whatever DATABASE_URL points at:

    .venv/bin/python bench/workspace.py                                   # SQLite, small sizes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zt_ws .venv/bin/python bench/workspace.py --full

Sizes (``--full`` = the issue's targets): BENCH_STAFF (100,000 staff in the directory; 20,000),
BENCH_TASKS (100,000 open tasks; 20,000), BENCH_MESSAGES (messages sent to the group; 200),
BENCH_GROUP (members of the group; 500).

- Fan-out: ``message_send`` to the group, one message after another through the service (row
  lock on the conversation, message row, audit-free for ordinary messages); "to last unread" is
  the time from the send call to the moment the last member's unread count (their conversation
  list, as the phone asks for it) shows the message. Then every member reads (read receipts),
  and the receipts list of the last message is read. One urgent notice to the group (a receipt
  and an inbox message per member) is timed on its own.
- Directory search: a township clerk's searches (Chinese name fragments and pinyin initials)
  over BENCH_STAFF entries in their county and others.
- 督办: the county leader's view over BENCH_TASKS open tasks (by state and lateness, the overdue
  and due-soon lists); cases, incidents and work orders are not generated here (their own
  benches measure their lists), so the view reads their empty overdue lists.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
os.environ.setdefault("ZHENGTONG_ENV", "test")

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

FULL = "--full" in sys.argv
STAFF = int(os.environ.get("BENCH_STAFF", 100_000 if FULL else 20_000))
TASKS = int(os.environ.get("BENCH_TASKS", 100_000 if FULL else 20_000))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", 1_000 if FULL else 200))
GROUP = int(os.environ.get("BENCH_GROUP", 500))
ROWS: list[tuple[str, ...]] = []
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏飞志宏海波宇浩晨欣怡婷雪琳"


def _ms(values: list[float]) -> tuple[str, str]:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{statistics.median(values) * 1000:.1f} ms", f"{p95 * 1000:.1f} ms"


def _rss() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def build_world():
    from zhengtong.accounts import services as acc
    from zhengtong.accounts.models import Department, OrgUnit, RoleGrant, User
    from zhengtong.accounts.services import system_actor
    from zhengtong.workspace import services

    tree = {
        "code": "330000",
        "name": "浙江省",
        "level": "province",
        "children": [
            {
                "code": "330100",
                "name": "杭州市",
                "level": "city",
                "children": [
                    {
                        "code": code,
                        "name": name,
                        "level": "county",
                        "children": [
                            {"code": f"{code}{t:03d}", "name": f"{name}{t}街道", "level": "township"}
                            for t in range(1, 11)
                        ],
                    }
                    for code, name in (("330106", "西湖区"), ("330105", "拱墅区"), ("330108", "滨江区"))
                ],
            }
        ],
    }
    acc.org_units_load_tree(actor=None, tree=tree)
    system = system_actor()
    xihu = OrgUnit.objects.get(code="330106")
    units = list(OrgUnit.objects.filter(level="township"))
    depts = [
        Department.objects.create(org_unit=u, code=f"d{i}", name=f"{u.name}第{i}科")
        for u in units
        for i in range(1, 4)
    ]
    rng = random.Random(7)
    users = []
    for n in range(STAFF):
        dept = depts[n % len(depts)]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if n % 3 else "")
        users.append(
            User(
                username=f"s{n:06d}",
                kind="staff",
                display_name=name,
                org_unit_id=dept.org_unit_id,
                department=dept,
                phone=f"139{n:08d}",
                password="!",
            )
        )
    User.objects.bulk_create(users, batch_size=2000)
    leader = acc.user_create(actor=system, username="leader", password=None, kind="staff", org_unit=xihu)
    leader.display_name = "王建国"
    leader.save(update_fields=["display_name"])
    acc.role_grant(actor=system, user=leader, role="leader", org_unit=xihu)
    clerk_user = User.objects.filter(org_unit__code="330106001").order_by("id").first()
    RoleGrant.objects.create(user=clerk_user, role="office_clerk", org_unit=clerk_user.org_unit)
    start = time.perf_counter()
    services.directory_refresh()
    refresh = time.perf_counter() - start
    ROWS.append(
        (
            "directory refresh (pinyin of every name)",
            f"{STAFF:,} staff",
            f"{refresh:.1f} s",
            "",
            f"{STAFF / refresh:,.0f}/s",
            "",
            _rss(),
        )
    )
    return leader, clerk_user, xihu


def bench_fanout(leader) -> None:
    from zhengtong.accounts.models import User
    from zhengtong.workspace import selectors, services
    from zhengtong.workspace.models import Member

    ids = list(
        User.objects.filter(org_unit__path__startswith="330000/330100/330106/").values_list("id", flat=True)[
            : GROUP - 1
        ]
    )
    group = services.conversation_group_create(actor=leader, title="全区工作群", member_ids=ids)
    last = User.objects.get(pk=ids[-1])
    latencies = []
    start_all = time.perf_counter()
    for i in range(MESSAGES):
        t0 = time.perf_counter()
        message = services.message_send(actor=leader, conversation=group, body=f"第{i}条工作消息")
        unread = next(c.unread for c in selectors.conversations_for(last, limit=5) if c.pk == group.pk)
        assert unread >= message.seq - Member.objects.get(conversation=group, user=last).last_read_seq
        latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - start_all
    med, p95 = _ms(latencies)
    ROWS.append(
        (
            f"message to a {GROUP}-member group, send → last unread count",
            f"{MESSAGES} messages",
            med,
            p95,
            f"{MESSAGES / total:,.0f} msg/s",
            "≥ 200 msg/s, p95 ≤ 300 ms",
            _rss(),
        )
    )
    members = list(User.objects.filter(pk__in=ids))
    reads = []
    for user in members:
        t0 = time.perf_counter()
        services.conversation_read(actor=user, conversation=group)
        reads.append(time.perf_counter() - t0)
    med, p95 = _ms(reads)
    ROWS.append(
        (
            "read receipt (member opens the group)",
            f"{len(members)} members",
            med,
            p95,
            f"{len(members) / sum(reads):,.0f}/s",
            "",
            _rss(),
        )
    )
    t0 = time.perf_counter()
    notice = services.message_send(
        actor=leader, conversation=group, body="紧急通知：今晚寒潮，请落实值班", urgent=True
    )
    urgent = time.perf_counter() - t0
    ROWS.append(
        (
            "urgent notice (receipt + inbox message per member)",
            f"{GROUP} members",
            f"{urgent * 1000:.0f} ms",
            "",
            "",
            "",
            _rss(),
        )
    )
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        data = selectors.message_receipts(leader, notice.pk)
        times.append(time.perf_counter() - t0)
    med, p95 = _ms(times)
    ROWS.append(
        (
            "who has not read the urgent notice",
            f"{len(data['unread'])} unread receipts",
            med,
            p95,
            "",
            "",
            _rss(),
        )
    )


def bench_directory(clerk) -> None:
    from zhengtong.workspace import selectors

    rng = random.Random(3)
    queries = []
    for _ in range(200):
        if rng.random() < 0.5:
            queries.append(rng.choice(SURNAMES) + rng.choice(GIVEN))
        else:
            queries.append(rng.choice("wlzcyhgzmsx") + rng.choice("wlzcyhgzmsxfjq"))
    times = []
    for q in queries:
        t0 = time.perf_counter()
        selectors.directory_search(clerk, q=q, limit=20)
        times.append(time.perf_counter() - t0)
    med, p95 = _ms(times)
    ROWS.append(
        (
            "directory search (name or pinyin initials), township clerk",
            f"{STAFF:,} staff",
            med,
            p95,
            f"{len(times) / sum(times):,.0f}/s",
            "p95 ≤ 50 ms",
            _rss(),
        )
    )


def bench_supervision(leader, unit) -> None:
    from zhengtong.core.calendar import add_working_days
    from zhengtong.workspace import selectors
    from zhengtong.workspace.models import Task

    today = dt.date.today()
    rng = random.Random(5)
    rows = []
    for n in range(TASKS):
        late = rng.random() < 0.1
        soon = not late and rng.random() < 0.1
        started = today - dt.timedelta(days=40 if late else 1)
        deadline = add_working_days(started, 5) if n % 500 == 0 else started + dt.timedelta(days=7)
        rows.append(
            Task(
                title=f"任务{n}",
                org_unit=unit,
                created_by=leader,
                assignee_id=leader.pk,
                due_working_days=5,
                state=rng.choice(("assigned", "in_progress")),
                sla_working_days=5,
                sla_started_on=started,
                sla_deadline=deadline,
                sla_due_soon_on=deadline - dt.timedelta(days=2),
                sla_state="overdue" if late else ("due_soon" if soon else "on_time"),
            )
        )
    Task.objects.bulk_create(rows, batch_size=5000)
    times = []
    counts = set()
    for _ in range(30):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            view = selectors.supervision_view(leader)
            times.append(time.perf_counter() - t0)
        counts.add(len(ctx))
    assert view["totals"]["open"] == TASKS
    med, p95 = _ms(times)
    ROWS.append(
        (
            "督办 view, county leader",
            f"{TASKS:,} open tasks",
            med,
            p95,
            f"queries {sorted(counts)}",
            "p95 ≤ 300 ms, constant queries",
            _rss(),
        )
    )


def main() -> None:
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        leader, clerk, county = build_world()
        bench_directory(clerk)
        bench_fanout(leader)
        bench_supervision(leader, county)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    load = os.getloadavg()
    table = Table(
        title=f"Zhengtong workspace benchmarks ({connection.vendor}, {os.cpu_count()} cores, load {load[0]:.1f}{', full size' if FULL else ''})"
    )
    for col in ("measure", "size", "median", "p95", "throughput", "target", "peak RSS"):
        table.add_column(col)
    for row in ROWS:
        table.add_row(*row)
    Console(width=190).print(table)


if __name__ == "__main__":
    main()
