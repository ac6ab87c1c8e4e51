"""Availability probes of the platform itself ("數字政府使用的怎么樣": is it up?): with every
materialization run the worker checks its database and cache and GETs each address of
``COCKPIT_PROBE_URLS``, and records one ``Probe`` per check. The indicator
``platform.availability`` is the share of passed checks per day. The worker also copies the
middleware's hourly request counters into ``RequestCount`` (``platform.error_rate``)."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from zhengtong.cockpit.models import Probe, RequestCount
from zhengtong.core import ratelimit
from zhengtong.core.middleware import (
    CHANNELS,
    REQUEST_COUNT_KEEP_SECONDS,
    REQUEST_COUNT_SCOPE,
    REQUEST_COUNT_WINDOW_SECONDS,
    STATUS_CLASSES,
    request_count_key,
)


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


def request_counts_collect() -> int:
    """Copy the middleware's hourly request counters still kept in the cache (two days) into
    ``RequestCount`` (the worker, with the probes): each hour's row takes the counter's latest
    value, so running again is harmless. Returns how many rows were written."""
    keys = {request_count_key(c, s): (c, s) for c in CHANNELS for s in STATUS_CLASSES}
    found = ratelimit.counts(
        REQUEST_COUNT_SCOPE,
        list(keys),
        window_seconds=REQUEST_COUNT_WINDOW_SECONDS,
        windows=REQUEST_COUNT_KEEP_SECONDS // REQUEST_COUNT_WINDOW_SECONDS,
    )
    now = timezone.now()
    rows = [
        RequestCount(
            hour=dt.datetime.fromtimestamp(start, tz=dt.UTC),
            channel=keys[key][0],
            status_class=keys[key][1],
            count=count,
            updated_at=now,
        )
        for (key, start), count in found.items()
    ]
    RequestCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["hour", "channel", "status_class"],
        update_fields=["count", "updated_at"],
    )
    return len(rows)
