"""Availability probes of the platform itself ("數字政府使用的怎么樣": is it up?): with every
materialization run the worker checks its database and cache and GETs each address of
``COCKPIT_PROBE_URLS``, and records one ``Probe`` per check. The indicator
``platform.availability`` is the share of passed checks per day."""

from __future__ import annotations

import time
import uuid

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from zhengtong.cockpit.models import Probe


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("unexpected answer")


def _cache() -> None:
    key, value = f"cockpit-probe-{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("value not read back")
    finally:
        cache.delete(key)


def _url(address: str, session: requests.Session):
    def check() -> None:
        response = session.get(address, timeout=settings.COCKPIT_PROBE_TIMEOUT_SECONDS, allow_redirects=False)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"HTTP {response.status_code}")

    return check


def probes_run(*, session: requests.Session | None = None) -> list[Probe]:
    """Run every check once and record the results (the worker, after materializing)."""
    session = session or requests.Session()
    checks = [("database", _database), ("cache", _cache)]
    checks += [
        (address[:60], _url(address, session))
        for address in (a.strip() for a in settings.COCKPIT_PROBE_URLS.split(","))
        if address
    ]
    now = timezone.now()
    out = []
    for component, check in checks:
        clock = time.perf_counter()
        try:
            check()
            ok, detail = True, ""
        except Exception as exc:  # noqa: BLE001 - any failure is the finding being recorded
            ok, detail = False, f"{type(exc).__name__}: {exc}"[:200]
        out.append(
            Probe(
                at=now,
                component=component,
                ok=ok,
                ms=round((time.perf_counter() - clock) * 1000, 2),
                detail=detail,
            )
        )
    return Probe.objects.bulk_create(out)
