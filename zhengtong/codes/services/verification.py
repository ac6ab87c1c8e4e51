"""Verification: the trust store, verifying a code, aggregate counts, the rate limit."""

from __future__ import annotations

import threading
import time
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.codes import keys
from zhengtong.codes.models import (
    SigningKey,
    TrustedKey,
    VerificationCount,
)
from zhengtong.codes.verify import KeyEntry, Result, TrustStore, verify
from zhengtong.core import cache, ratelimit

STORE_TTL_SECONDS = 30.0
STORE_CACHE = "codes.trust_store"


def trust_store(*, refresh: bool = False) -> TrustStore:
    """Our own code keys plus every imported region's keys, kept in each process for up to
    STORE_TTL_SECONDS (parsed keys cannot be pickled into the shared cache); ``refresh`` or
    ``forget_trust_store`` rebuilds it in every process."""
    if refresh:
        forget_trust_store()
    return cache.cached(STORE_CACHE, "store", _trust_store_build, STORE_TTL_SECONDS, local=True, shared=False)


def _trust_store_build() -> TrustStore:
    store = TrustStore()
    for k in SigningKey.objects.filter(role=SigningKey.Role.CODE):
        store.add(KeyEntry(bytes.fromhex(k.kid), k.region_code, keys.public_key(k), k.status))
    for k in TrustedKey.objects.select_related("trust_list__anchor"):
        store.add(
            KeyEntry(
                bytes.fromhex(k.kid),
                k.region_code,
                keys.public_key(k),
                k.status,
                k.trust_list.anchor.is_active,
            )
        )
    return store


def forget_trust_store() -> None:
    """Drop the trust store in every process (after keys or trust lists change)."""
    cache.invalidate(STORE_CACHE)


_counts: Counter = Counter()
_counts_lock = threading.Lock()
_counts_flushed = [time.monotonic()]
FLUSH_EVERY = 500
FLUSH_SECONDS = 10.0


def count_verification(result: Result, *, force_flush: bool = False) -> None:
    """Keep only aggregates: (day, purpose, issuing region, result) → count, flushed in batches."""
    key = (timezone.localdate().isoformat(), result.purpose or "", result.region or "", result.reason)
    with _counts_lock:
        _counts[key] += 1
        due = force_flush or sum(_counts.values()) >= FLUSH_EVERY
        due = due or time.monotonic() - _counts_flushed[0] > FLUSH_SECONDS
        if not due:
            return
        pending = dict(_counts)
        _counts.clear()
        _counts_flushed[0] = time.monotonic()
    flush_counts(pending)


def flush_counts(pending: dict | None = None) -> None:
    if pending is None:
        with _counts_lock:
            pending = dict(_counts)
            _counts.clear()
    for (day, purpose, region, reason), n in pending.items():
        with transaction.atomic():
            row, created = VerificationCount.objects.get_or_create(
                day=day, purpose=purpose[:40], region_code=region[:12], result=reason, defaults={"count": n}
            )
            if not created:
                VerificationCount.objects.filter(pk=row.pk).update(count=F("count") + n)


def verify_code(text: str, *, purpose: str | None = None) -> Result:
    result = verify(
        text,
        store=trust_store(),
        purpose=purpose or None,
        max_bytes=settings.CODES_MAX_DECOMPRESSED_BYTES,
        prefix=settings.CODES_PREFIX,
    )
    count_verification(result)
    return result


def rate_limit(key: str, *, per_minute: int) -> None:
    """Count one verification from ``key`` (a client address); RateLimited past ``per_minute``."""
    ratelimit.hit(
        "codes.verify",
        key,
        limit=per_minute,
        message=_("too many verification requests; try again in a minute"),
    )
