"""A small HTTP load generator (used when ``wrk`` is not installed): N threads, one keep-alive
connection each, for a fixed time; returns successful requests per second."""

from __future__ import annotations

import http.client
import threading
import time


def run_load(
    host: str, port: int, path: str, *, seconds: int = 10, concurrency: int = 16, uncached: bool = False
) -> float:
    stop_at = time.perf_counter() + seconds
    counts = [0] * concurrency
    errors = [0] * concurrency

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        n = index * 100_000_000
        while time.perf_counter() < stop_at:
            n += 1
            url = f"{path}&employees__gte=-{n}" if uncached else path
            try:
                conn.request("GET", url)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if sum(errors):
        raise SystemExit(f"{sum(errors)} failed requests")
    return sum(counts) / (time.perf_counter() - started)


WRK_LUA = """
local reqs = {}
local bodies, heads, paths = {}, {}, {}
%(table)s
local i = 0
local n = 0
function setup(thread) n = n + 1; thread:set("offset", n * 7919) end
function init(args)
  for k = 1, #heads do reqs[k] = wrk.format("%(method)s", paths[k] or "%(path)s", heads[k], bodies[k]) end
  i = (offset or 0) %% #reqs
end
function request() i = i %% #reqs + 1; return reqs[i] end
function done(summary, latency, requests)
  io.write(string.format("ZTWRK %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _lua_string(text: str) -> str:
    """A Lua long string: no escapes to get wrong (the texts here never contain its closing)."""
    if "]==]" in text:
        raise ValueError("text contains the long-string terminator")
    return "[==[" + text + "]==]"


def wrk_requests(
    port: int,
    path: str,
    requests: list[tuple[dict[str, str], str]],
    *,
    seconds: int = 15,
    connections: int = 8,
    threads: int = 1,
    method: str = "POST",
    script_dir: str = "var/bench",
    paths: list[str] | None = None,
) -> dict[str, float] | None:
    """Load ``path`` with wrk (C, so the load generator takes little of the cores it shares with
    the server), cycling through ``requests`` (headers, body); None when wrk is not installed.
    ``paths`` (one per request) sends each to its own path and query: a stream of distinct GETs.
    Returns requests, requests per second, latency p50/p95/p99 (ms) and errors (non-2xx or socket)."""
    import os
    import shutil
    import subprocess

    if not shutil.which("wrk"):
        return None
    lines = []
    for k, (headers, body) in enumerate(requests, start=1):
        head = ", ".join(f"[ {_lua_string(h)} ] = {_lua_string(v)}" for h, v in headers.items())
        line = f"heads[{k}] = {{{head}}}"
        if body:
            line += f"; bodies[{k}] = {_lua_string(body)}"
        if paths:
            line += f"; paths[{k}] = {_lua_string(paths[k - 1])}"
        lines.append(line)
    os.makedirs(script_dir, exist_ok=True)
    script = os.path.join(script_dir, f"wrk-{port}.lua")
    with open(script, "w", encoding="utf-8") as fh:
        fh.write(WRK_LUA % {"table": "\n".join(lines), "method": method, "path": path})
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", script, f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("ZTWRK "))
    total, duration_us, p50, p95, p99, errors = (int(v) for v in line.split()[1:])
    non2xx = 0
    for x in out.splitlines():
        if "Non-2xx or 3xx responses" in x:
            non2xx = int(x.rsplit(":", 1)[1])
    return {
        "requests": total,
        "rps": total / (duration_us / 1e6),
        "p50_ms": p50 / 1000,
        "p95_ms": p95 / 1000,
        "p99_ms": p99 / 1000,
        "errors": errors + non2xx,
    }


def postgres_cpu_seconds() -> float:
    """User + system CPU seconds of every local PostgreSQL process (the server's share), /proc."""
    import os
    from pathlib import Path

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


if __name__ == "__main__":
    print(__doc__)  # a helper module of the HTTP benchmarks, not a benchmark of its own
