"""What the benchmarks share (a helper module, not a benchmark): Django set-up against a
throwaway database, the synthetic province → city → county → township tree, percentiles, peak
memory, CPU seconds of process trees, the results table.

    import _common

    _common.django_setup()          # before importing anything of the project
    ...
    with _common.throwaway_database():
        ...
    _common.print_table("Zhengtong … benchmarks", ROWS)
"""

from __future__ import annotations

import collections
import contextlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("measure", "size", "median", "p95", "throughput", "target", "peak RSS")


def usage_if_asked(doc: str | None) -> None:
    """``--help`` / ``-h``: print the script's docstring and exit before anything runs (call it
    before ``django_setup()``, so asking for help never touches a database)."""
    if "--help" in sys.argv or "-h" in sys.argv:
        print((doc or "").strip())
        raise SystemExit(0)


def django_setup() -> None:
    """The project importable, the test settings (``ZHENGTONG_ENV=test`` unless told), Django set up."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
    os.environ.setdefault("ZHENGTONG_ENV", "test")
    import django  # noqa: PLC0415 - only after the settings are chosen

    django.setup()


@contextlib.contextmanager
def throwaway_database() -> Iterator[None]:
    """A test database made from DATABASE_URL's (``test_<name>``), dropped afterwards whatever
    happens. The caller has run ``setup_test_environment()``."""
    from django.db import connection  # noqa: PLC0415 - Django is set up by then

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def province_tree(
    counties: list[tuple[str, str]],
    townships: int,
    *,
    township_name: Callable[[str, int], str],
    township_children: Callable[[str], list[dict]] | None = None,
) -> dict:
    """浙江省 → 杭州市 → ``counties`` (code, name) → ``townships`` townships each (code
    county + 3 digits), for ``accounts.services.org_units_load_tree``."""

    def township(code: str, name: str, t: int) -> dict:
        node = {"code": f"{code}{t:03d}", "name": township_name(name, t), "level": "township"}
        if township_children is not None:
            node["children"] = township_children(node["code"])
        return node

    return {
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
                        "children": [township(code, name, t) for t in range(1, townships + 1)],
                    }
                    for code, name in counties
                ],
            }
        ],
    }


def peak_mb() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def database_url() -> str:
    """The URL of the database the connection uses now (the throwaway one), for child processes."""
    from django.db import connection  # noqa: PLC0415 - Django is set up by then

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (e.g. gunicorn's workers), /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            pids += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        return float("nan")
    for p in set(pids):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


SERVERS = ("gthread", "sync", "granian")


def server_label(server: str, workers: int, threads: int) -> str:
    """How a server started by ``http_server`` is described beside its figures."""
    return {
        "gthread": f"gunicorn {workers}×gthread {threads} threads, --reuse-port, keep-alive",
        "sync": f"gunicorn {workers}×sync (one request per connection)",
        "granian": f"granian {workers} workers × {threads} blocking threads, keep-alive",
    }[server]


def http_server(
    server: str, app: str, port: int, *, workers: int = 3, threads: int = 4, env: dict | None = None
) -> subprocess.Popen:
    """Start ``app`` (``module:callable``) on 127.0.0.1:``port`` as deployed (docs/deployment.md):
    gunicorn gthread workers each on its own ``SO_REUSEPORT`` socket, gunicorn sync workers, or
    granian's WSGI interface. In its own process group, so ``stop_server`` ends every worker."""
    if server == "granian":
        argv = [sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws",
                "--workers", str(workers), "--blocking-threads", str(threads),
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", app]  # fmt: skip
    else:
        kind = (
            ["-k", "sync"]
            if server == "sync"
            else ["-k", "gthread", "--threads", str(threads), "--reuse-port"]
        )
        argv = [str(Path(sys.executable).parent / "gunicorn"), app, "-w", str(workers), *kind,
                "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"]  # fmt: skip
    return subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server of ``http_server`` and all its workers (SIGTERM, then SIGKILL after 15 s)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def print_table(
    title: str, rows: list[tuple[str, ...]], *, width: int = 170, columns: tuple[str, ...] = COLUMNS
) -> None:
    from rich.console import Console  # noqa: PLC0415 - a bench-only dependency
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    Console(width=width).print(table)


def stack_sampler(interval: float = 0.0005) -> collections.Counter:
    """Start sampling this process's stack every ``interval`` seconds of its CPU time (SIGPROF):
    the returned counter holds, per ``file:function`` (project and library frames), the samples
    it was on the stack in, and ``(all)`` the number of samples. ``stop_sampler()`` ends it."""
    samples: collections.Counter[str] = collections.Counter()

    def sample(_signum, frame) -> None:
        seen = set()
        while frame is not None:
            code = frame.f_code
            name = code.co_filename
            if "site-packages/" in name:
                name = name.split("site-packages/", 1)[1]
            elif "zhengtong/" in name:
                name = "zhengtong/" + name.split("zhengtong/", 1)[1]
            label = f"{name}:{code.co_name}"
            if label not in seen:
                seen.add(label)
                samples[label] += 1
            frame = frame.f_back
        samples["(all)"] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, interval, interval)
    return samples


def stop_sampler() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
