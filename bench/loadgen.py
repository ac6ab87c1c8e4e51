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
