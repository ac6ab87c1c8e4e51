"""Audited writes under concurrency: the Merkle log (this checkout) beside the single hash chain it
replaced (an earlier commit, checked out into a temporary worktree), on PostgreSQL.

    .venv/bin/python bench/audit.py                      # 16 writers, 5 s each, 3 rounds, ref 9b62925
    .venv/bin/python bench/audit.py --writers 1,4,16 --seconds 10 --rounds 5 --ref 9b62925
    .venv/bin/python bench/audit.py --help

Each writer is a separate process (its own connection) committing one transaction per audited
event, as a service function does. All processes set up Django and connect first, then start
their timed runs together (start-up would otherwise take CPU from the writers already running). For the log, a sequencer process runs the worker's loop
(``log.sequence_and_sign``, then ``AUDIT_SEQUENCER_INTERVAL_MS``'s pause) during the run, and the lag from each event's commit to its position in
the log is measured. Each side gets its own freshly migrated database (``zt_bench_audit_<side>``) on
the server of ``BENCH_PG`` (default postgres://postgres@127.0.0.1:5432). The two sides run in
alternating rounds (chain then log, log then chain, ...), each beside a calibration of the machine's
speed at that moment and the share of the machine's CPU left idle during its run (a side that leaves
the CPU idle waits for a lock; a side that uses all of it is bound by the machine); prints a row per
round and the median ratio. ``--ceiling`` adds the same transaction writing only the event row (no
queue, no sequencer, no chain): the most any audit design could reach on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def _django(root: Path, db: str) -> None:
    sys.path.insert(0, str(root))
    os.environ["DATABASE_URL"] = f"{PG}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    os.environ.setdefault("ZHENGTONG_ENV", "test")
    import django  # noqa: PLC0415 - configured from the arguments first

    django.setup()


def _wait_for_start(out: Path) -> None:
    """Tell the parent this process is set up (Django imported, connection open), then wait for
    the common start, so no writer's timed run competes with another one's start-up for the CPU."""
    out.with_suffix(".ready").touch()
    go = out.parent / "go"
    while not go.exists():
        time.sleep(0.01)


def writer(root: Path, db: str, seconds: float, out: Path, *, event_only: bool = False) -> None:
    """One writer: ``transaction.atomic()`` + ``record()`` per event, as a service function does.
    ``event_only`` (the ``--ceiling`` side): the same transaction writing the same event row, built
    by the same code, and nothing else: no queue row, no sequencer, no chain. No audit design can
    make an audited transaction cheaper than that, so its rate is this machine's ceiling."""
    _django(root, db)
    from django.db import connection, transaction  # noqa: PLC0415

    from zhengtong.audit import actions  # noqa: PLC0415
    from zhengtong.audit.services import record  # noqa: PLC0415

    def write() -> int:
        with transaction.atomic():
            return record(actor=None, action="bench.audit.write", target_type="bench", target_id="1").id

    one = write
    if event_only:
        # Only this checkout has them (the chain side runs an older commit's code).
        from zhengtong.audit.services import event_build  # noqa: PLC0415
        from zhengtong.core import prepared  # noqa: PLC0415

        def one() -> int:
            with transaction.atomic():
                event = event_build(
                    actor=None, action="bench.audit.write", target_type="bench", target_id="1"
                )
                sql, params = prepared.insert_sql(event, connection)
                with connection.cursor() as cursor:
                    cursor.execute(f"{sql} RETURNING id", params)
                    return cursor.fetchone()[0]

    actions.register({"bench.audit.write": "bench"})
    connection.ensure_connection()
    _wait_for_start(out)
    commits = []
    end = time.time() + seconds
    while time.time() < end:
        commits.append((one(), time.time()))
    out.write_text(json.dumps(commits))


def sequencer(root: Path, db: str, seconds: float, out: Path) -> None:
    _django(root, db)
    from django.conf import settings  # noqa: PLC0415

    from zhengtong.audit import log  # noqa: PLC0415

    # The worker's loop (run_worker, ``audit.sequencer``): a turn, then the interval's pause.
    pause = settings.AUDIT_SEQUENCER_INTERVAL_MS / 1000
    batches = []
    _wait_for_start(out)
    end = time.time() + seconds + 3
    while time.time() < end:
        if log.sequence_and_sign():
            batches.append((time.time(), log.tree_size()))
        time.sleep(pause)
    out.write_text(json.dumps(batches))


def prepare(root: Path, db: str) -> None:
    env = {**os.environ, "DATABASE_URL": f"{PG}/{db}", "ZHENGTONG_ENV": "test"}
    subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True, env=env)
    subprocess.run(["psql", PG + "/postgres", "-qc", f"CREATE DATABASE {db}"], check=True, env=env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, check=True, env=env)


def run_side(
    root: Path, db: str, writers: int, seconds: float, with_sequencer: bool, role: str = "writer"
) -> dict:
    tmp = Path(tempfile.mkdtemp())
    script = Path(__file__).resolve()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                "--role",
                role,
                "--root",
                str(root),
                "--db",
                db,
                "--seconds",
                str(seconds),
                "--out",
                str(tmp / f"w{i}.json"),
            ]
        )
        for i in range(writers)
    ]
    seq = None
    if with_sequencer:
        seq = subprocess.Popen(
            [
                sys.executable,
                str(script),
                "--role",
                "sequencer",
                "--root",
                str(root),
                "--db",
                db,
                "--seconds",
                str(seconds),
                "--out",
                str(tmp / "seq.json"),
            ]
        )
    expected = writers + (1 if with_sequencer else 0)
    while len(list(tmp.glob("*.ready"))) < expected:
        if any(p.poll() not in (None, 0) for p in procs):
            raise SystemExit("a writer failed to start")
        time.sleep(0.05)
    (tmp / "go").touch()  # every process is set up: the timed runs start together
    before = machine_cpu()
    time.sleep(seconds)
    after = machine_cpu()
    for p in procs:
        p.wait()
    commits = [c for i in range(writers) for c in json.loads((tmp / f"w{i}.json").read_text())]
    result = {"events": len(commits), "per_second": len(commits) / seconds}
    if before and after:
        busy, idle = after[0] - before[0], after[1] - before[1]
        result["idle"] = idle / (busy + idle) if busy + idle else 0.0
        result["cpu_ms"] = busy / os.sysconf("SC_CLK_TCK") * 1000 / len(commits) if commits else None
    if seq is not None:
        seq.wait()
        batches = json.loads((tmp / "seq.json").read_text())
        env = {**os.environ, "DATABASE_URL": f"{PG}/{db}"}
        rows = subprocess.run(
            ["psql", f"{PG}/{db}", "-Atc", "SELECT event_id, seq FROM audit_auditlogentry"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.split()
        position = {int(a): int(b) for a, b in (r.split("|") for r in rows)}
        lags = []
        for event_id, committed in commits:
            pos = position.get(event_id)
            if pos is None:
                continue
            done = next((t for t, size in batches if size > pos), None)
            if done is not None:
                lags.append(max(0.0, done - committed))
        lags.sort()
        result["sequenced"] = len(lags)
        result["lag_p50"] = lags[len(lags) // 2] if lags else None
        result["lag_p95"] = lags[int(len(lags) * 0.95)] if lags else None
    return result


def machine_cpu() -> tuple[int, int] | None:
    """The machine's busy and idle CPU time so far, in clock ticks, all cores and processes
    (``/proc/stat``; None elsewhere than Linux). Over a side's timed run it shows whether the
    writers used the whole machine (CPU-bound) or left it idle while they waited (lock-bound)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields[:8]) - idle, idle  # user .. steal; guest time is counted within user


def calibration_ms() -> float:
    """Milliseconds this machine takes now for a fixed piece of single-threaded Python (200,000
    SHA-256 hashes of 64 bytes): printed beside each side's figure, so a run that the machine's
    own speed moved (a virtual machine's neighbours, frequency) shows it."""
    started = time.perf_counter()
    block = b"x" * 64
    for _ in range(200_000):
        hashlib.sha256(block).digest()
    return (time.perf_counter() - started) * 1000


def _side(result: dict) -> str:
    text = f"{result['per_second']:,.0f}/s (calibration {result['calibration']:.0f} ms"
    if result.get("cpu_ms") is not None:
        text += f"; {result['idle']:.0%} idle, {result['cpu_ms']:.2f} ms CPU a write"
    return text + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", default="16", help="comma-separated writer counts (default 16)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds per writer count (default 3)"
    )
    parser.add_argument("--ref", default="9b62925", help="git ref of the single-chain code to compare with")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="a third side per round: the same transaction writing the event row alone, no log (the machine's ceiling)",
    )
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "writer":
        return writer(Path(args.root), args.db, args.seconds, Path(args.out))
    if args.role == "event-only":
        return writer(Path(args.root), args.db, args.seconds, Path(args.out), event_only=True)
    if args.role == "sequencer":
        return sequencer(Path(args.root), args.db, args.seconds, Path(args.out))

    old = Path(tempfile.mkdtemp()) / "chain"
    subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), args.ref], cwd=ROOT, check=True)
    sides = {
        "chain": (old, "zt_bench_audit_chain", False, "writer"),
        "log": (ROOT, "zt_bench_audit_log", True, "writer"),
    }
    if args.ceiling:
        sides["ceiling"] = (ROOT, "zt_bench_audit_log", False, "event-only")
    try:
        for root, db in {(root, db) for root, db, _, _ in sides.values()}:
            prepare(root, db)
        rows = []
        for n in [int(x) for x in args.writers.split(",")]:
            for i in range(args.rounds):
                # Alternating order: a drift of the machine's speed favours neither side.
                order = list(sides) if i % 2 == 0 else list(reversed(sides))
                result = {}
                for side in order:
                    root, db, with_sequencer, role = sides[side]
                    calibration = calibration_ms()
                    result[side] = run_side(root, db, n, args.seconds, with_sequencer, role)
                    result[side]["calibration"] = calibration
                rows.append((n, i + 1, result))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    load = os.getloadavg()[0]
    sys.path.insert(0, str(ROOT))
    from zhengtong.audit.settings import AUDIT_SEQUENCER_INTERVAL_MS as interval_ms  # noqa: PLC0415 - path set above

    print(
        f"\nAudited writes on PostgreSQL, one event per transaction, {args.seconds:.0f} s per run, "
        f"{args.rounds} alternating rounds; chain = {args.ref}, log = this checkout; sequencer "
        f"interval {interval_ms} ms; load average at "
        f"the end {load:.1f}. Calibration: ms for a fixed piece of Python just before each side "
        "(equal figures: the machine ran at one speed); idle: the share of the machine's CPU "
        "left idle during the side's run (all cores, all processes); CPU a write: the machine's busy "
        "CPU time divided by the side's writes.\n"
    )
    print(
        "| writers | round | single chain (advisory lock) | Merkle log | ratio | log sequencing lag p50 / p95 |"
        + (" event row alone, no log (ceiling) | ceiling ÷ chain |" if args.ceiling else "")
    )
    print("|---|---|---|---|---|---|" + ("---|---|" if args.ceiling else ""))
    ratios: dict[int, list[float]] = {}
    for n, i, result in rows:
        chain, merkle = result["chain"], result["log"]
        ratio = merkle["per_second"] / chain["per_second"] if chain["per_second"] else float("inf")
        ratios.setdefault(n, []).append(ratio)
        lag = (
            (
                f"{merkle['lag_p50'] * 1000:.0f} / {merkle['lag_p95'] * 1000:.0f} ms "
                f"({merkle['sequenced']:,} of {merkle['events']:,} sequenced)"
            )
            if merkle.get("lag_p95") is not None
            else "-"
        )
        line = f"| {n} | {i} | {_side(chain)} | {_side(merkle)} | {ratio:.1f}× | {lag} |"
        if args.ceiling:
            ceiling = result["ceiling"]
            line += f" {_side(ceiling)} | {ceiling['per_second'] / chain['per_second']:.1f}× |"
        print(line)
    for n, values in ratios.items():
        print(f"| {n} | median | | | {statistics.median(values):.1f}× | |")


if __name__ == "__main__":
    main()
