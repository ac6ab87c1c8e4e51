"""Lift and restore the append-only triggers: for the tamper-detection tests and for a DBA's
deliberate, documented repair. Nothing in the platform calls this."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from django.db import connection

_migration = importlib.import_module("zhengtong.audit.migrations.0002_append_only")


@contextmanager
def append_only_lifted():
    vendor = connection.vendor
    drop = {"sqlite": _migration.SQLITE_DROP, "postgresql": _migration.POSTGRES_DROP}[vendor]
    create = {"sqlite": _migration.SQLITE, "postgresql": _migration.POSTGRES}[vendor]
    with connection.cursor() as cursor:
        for sql in drop:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in create:
                cursor.execute(sql)
