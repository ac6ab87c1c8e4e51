"""秒批 in-process: the lean bearer-API service (``identity.wsgi_oidc``) called as WSGI, without
HTTP, with distinct citizens' tokens against a database ``services_autodecide.py --prepare`` made:
statements per decision, CPU per decision of this process (PostgreSQL's own CPU not included), and
optionally where it goes (a sampling profiler on the CPU clock, which distorts far less than
cProfile: about 1.1× against 4–5×).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h19 PYTHONPATH=. .venv/bin/python \\
        bench/services_autodecide_inprocess.py --requests 400 --first 0 [--sql] [--profile]

``--first``: the first citizen (tokens cycle over 2,000); each run files new cases for them.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import sys
import time
from pathlib import Path

os.environ.update({"ZHENGTONG_ENV": "development", "DEBUG": "0"})
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengtong.settings")
sys.path.insert(0, os.path.dirname(__file__))

import _common  # noqa: E402
from services_autodecide import ITEM_CODE, token_for  # noqa: E402

from zhengtong.identity.wsgi_oidc import application  # noqa: E402 (sets Django up)


def main() -> None:
    from django.db import connection

    from zhengtong.services.models import ServiceItem

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--sql", action="store_true", help="print the statements of one decision")
    parser.add_argument("--profile", action="store_true", help="sample where the CPU goes (our functions)")
    args = parser.parse_args()
    path = f"/api/v1/services/{ServiceItem.objects.get(code=ITEM_CODE).pk}/applications"
    body = b'{"data": {}}'

    def call(i: int) -> None:
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "HTTP_AUTHORIZATION": f"Bearer {token_for(i % 2000)[1]}",
        }  # fmt: skip
        status = []
        answer = b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("201"), (status, answer[:300])

    first = args.first
    for i in range(first, first + 20):  # warm-up: imports, connections, caches
        call(i)
    statements: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *rest: statements.append(sql) or execute(sql, *rest)
    ):
        call(first + 20)
    print(f"statements per decision: {len(statements)} (besides BEGIN and COMMIT)")
    if args.sql:
        for sql in statements:
            print("   ", sql[:160])
    samples: collections.Counter[str] = _common.stack_sampler() if args.profile else collections.Counter()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(first + 21, first + 21 + args.requests):
        call(i)
    cpu = time.process_time() - cpu0
    _common.stop_sampler()
    n = args.requests
    print(f"CPU per decision {cpu * 1000 / n:.2f} ms, wall {(time.perf_counter() - wall0) * 1000 / n:.2f} ms "
          f"({n} decisions; load {Path('/proc/loadavg').read_text().split()[0]})")  # fmt: skip
    total = samples.pop("(all)", 0)
    for label, count in samples.most_common(40):
        print(f"  {100 * count / total:5.1f}% {count * cpu * 1000 / total / n:6.2f} ms  {label}")


if __name__ == "__main__":
    main()
