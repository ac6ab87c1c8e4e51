"""The SQL sandbox's child process: runs one checked SELECT under operating-system limits.

Started by ``sandbox.run_sql`` as ``python -I sandbox_child.py`` (a file, not a module of the
project: nothing of Django or Zhengtong is imported here, and the environment is empty). The
request is one JSON object on stdin::

    {"file": "public.parquet", "sql": "...", "exclude": "_row", "max_rows": 1000,
     "memory_limit": "512MB", "memory_bytes": 512000000, "threads": 1, "timeout_s": 5}

``file`` is relative to the working directory (the version's folder), so no server path appears in
the view's definition. Before the query runs the process limits itself: ``RLIMIT_AS`` to what it
uses now plus ``memory_bytes`` (an allocation beyond fails, whatever DuckDB's own accounting says)
and ``RLIMIT_CPU`` to what it used so far plus ``timeout_s`` + 1 s (the kernel ends it with SIGXCPU;
the parent also kills it on a wall-clock timeout). The answer on stdout is one JSON line, then, on
success, the rows as an Arrow IPC stream::

    {"ok": true, "columns": [...], "truncated": false}\\n<arrow stream>
    {"ok": false, "error": "memory" | "timeout" | "failed", "message": "..."}\\n
"""

import json
import math
import resource
import sys
import threading

import duckdb
import pyarrow as pa


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _answer(header: dict, payload: bytes = b"") -> None:
    sys.stdout.buffer.write(json.dumps(header).encode() + b"\n" + payload)
    sys.stdout.buffer.flush()


def _fail(kind: str, message: str = "") -> None:
    _answer({"ok": False, "error": kind, "message": message[:300]})


def _limit(memory_bytes: int, timeout_s: float) -> None:
    address_space = _vm_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _run(request: dict) -> None:
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": request["threads"],
            "memory_limit": request["memory_limit"],
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    file = request["file"].replace("'", "''")
    exclude = request["exclude"].replace('"', '""')
    con.execute(f"SET allowed_paths = ['{file}']")
    con.execute(f"CREATE VIEW data AS SELECT * EXCLUDE (\"{exclude}\") FROM read_parquet('{file}')")  # noqa: S608 - the parent's own file and column names, quoted
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    max_rows = request["max_rows"]
    _limit(request["memory_bytes"], request["timeout_s"])
    timer = threading.Timer(request["timeout_s"], con.interrupt)
    timer.start()
    try:
        reader = con.sql(request["sql"]).to_arrow_reader(min(max_rows + 1, 100_000))
        columns = list(reader.schema.names)
        batches, count = [], 0
        for batch in reader:
            batches.append(batch)
            count += batch.num_rows
            if count > max_rows:
                break
    except duckdb.InterruptException:
        return _fail("timeout")
    except (duckdb.OutOfMemoryException, MemoryError):
        return _fail("memory")
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "memory" in message.lower() and ("allocat" in message.lower() or "out of" in message.lower()):
            return _fail("memory")
        return _fail("failed", message)
    finally:
        timer.cancel()
    table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, max_rows)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    _answer({"ok": True, "columns": columns, "truncated": count > max_rows}, sink.getvalue().to_pybytes())


def main() -> None:
    try:
        _run(json.loads(sys.stdin.buffer.read()))
    except MemoryError:
        _fail("memory")


if __name__ == "__main__":
    main()
