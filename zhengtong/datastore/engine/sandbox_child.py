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
the parent also kills it on a wall-clock timeout). The answer on stdout is one JSON object (no
pickle: the parent never runs anything the child sends)::

    {"ok": true, "columns": [...], "rows": [[...], ...], "truncated": false}
    {"ok": false, "error": "memory" | "timeout" | "failed", "message": "..."}

Cells are DuckDB's Python values; those JSON has no form for are tagged ``{"$": kind, "v": ...}``
(dict, tuple, datetime, date, time, decimal, uuid, timedelta, bytes) and rebuilt by the parent, so
the rows equal what an in-process ``fetchmany`` returns.
"""

import base64
import datetime as dt
import decimal
import json
import math
import resource
import sys
import threading
import uuid

import duckdb


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * resource.getpagesize()


def _answer(answer: dict) -> None:
    sys.stdout.buffer.write(json.dumps(answer).encode())
    sys.stdout.buffer.flush()


def _encode(value):  # noqa: PLR0911 - one return per type
    """A cell as JSON, with the types JSON lacks tagged (see the module docstring)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "v": [_encode(item) for item in value]}
    if isinstance(value, dict):
        return {"$": "dict", "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$": "uuid", "v": str(value)}
    if isinstance(value, dt.timedelta):
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    return {"$": "str", "v": str(value)}


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
        cursor = con.execute(request["sql"])
        columns = [d[0] for d in cursor.description or []]
        fetched = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        return _fail("timeout")
    except (duckdb.OutOfMemoryException, MemoryError):
        return _fail("memory")
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "bad_alloc" in message or "out of memory" in message.lower():
            return _fail("memory")
        return _fail("failed", message)
    finally:
        timer.cancel()
    rows = [[_encode(value) for value in row] for row in fetched[:max_rows]]
    return _answer({"ok": True, "columns": columns, "rows": rows, "truncated": len(fetched) > max_rows})


def main() -> None:
    try:
        _run(json.loads(sys.stdin.buffer.read()))
    except MemoryError:
        _fail("memory")


if __name__ == "__main__":
    main()
