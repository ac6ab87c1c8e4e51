"""The verifiable random draw of 双随机一公开, as published (docs/supervision.md). Pure functions
over plain data, so ``scripts/verify_draw.py`` can say the same thing without project code.

- population file: one line ``<credit code>,<stratum>\\n`` per entity, sorted by credit code,
  UTF-8; its SHA-256 is published when the plan is committed.
- seed: 64 hex characters drawn by the server at commitment; the commitment is
  SHA-256(seed as UTF-8), published with the population hash; the seed itself after the draw.
- targets: per stratum (sorted), n = ceil(size × per mille / 1000) entities with the smallest
  HMAC-SHA256(key = seed as UTF-8, msg = credit code as UTF-8), hex, ascending.
- inspectors: per target and per department (sorted by department key), the k officers with
  the smallest HMAC-SHA256(key = seed, msg = "<credit code>/<officer number>"), skipping the
  officers excluded for that target (published with the reason).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import secrets
from collections.abc import Iterable


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def population_text(rows: Iterable[tuple[str, str]]) -> bytes:
    """The canonical population file for ``(credit code, stratum)`` rows."""
    return "".join(f"{code},{stratum}\n" for code, stratum in sorted(rows)).encode("utf-8")


def parse_population(data: bytes) -> dict[str, list[str]]:
    """{stratum: [credit codes]} from a population file."""
    strata: dict[str, list[str]] = {}
    for line in data.decode("utf-8").splitlines():
        code, stratum = line.split(",", 1)
        strata.setdefault(stratum, []).append(code)
    return strata


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stratum_count(size: int, permille: int) -> int:
    return min(size, (size * permille + 999) // 1000)


def draw_targets(
    strata: dict[str, list[str]], seed: str, counts: dict[str, int]
) -> dict[str, list[tuple[str, str]]]:
    """{stratum: [(credit code, hmac hex), ...]} ascending by HMAC, ``counts[stratum]`` of each."""
    # The key's inner and outer states are computed once and copied per message: the same
    # HMAC-SHA256 as hmac.digest(key, msg), without re-keying a million times.
    keyed = hmac.new(seed.encode("utf-8"), digestmod=hashlib.sha256).copy

    def mac(code: str) -> bytes:
        h = keyed()
        h.update(code.encode())
        return h.digest()

    out: dict[str, list[tuple[str, str]]] = {}
    for stratum in sorted(strata):
        n = counts.get(stratum, 0)
        if n <= 0:
            out[stratum] = []
            continue
        members = strata[stratum]
        best = heapq.nsmallest(n, zip(map(mac, members), members, strict=True))
        out[stratum] = [(code, digest.hex()) for digest, code in best]
    return out


def draw_inspectors(
    seed: str, uscc: str, pool: dict[str, list[str]], excluded: set[str], per_department: int
) -> dict[str, list[str]] | None:
    """{department key: [officer numbers]} for one target, or None when a department has too few
    officers left after the exclusions."""
    key = seed.encode("utf-8")
    chosen: dict[str, list[str]] = {}
    for dept in sorted(pool):
        ranked = sorted(
            (hmac.digest(key, f"{uscc}/{number}".encode(), "sha256"), number)
            for number in pool[dept]
            if number not in excluded
        )
        if len(ranked) < per_department:
            return None
        chosen[dept] = [number for _mac, number in ranked[:per_department]]
    return chosen
