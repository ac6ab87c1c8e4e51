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
import os
import pickle
import secrets
from collections.abc import Iterable
from typing import Any


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def population_text(rows: Iterable[tuple[str, str]]) -> bytes:
    """The canonical population file for ``(credit code, stratum)`` rows."""
    ordered = sorted(rows)
    if not ordered:
        return b""
    return ("\n".join(map(",".join, ordered)) + "\n").encode("utf-8")


def parse_population(data: bytes) -> dict[str, list[str]]:
    """{stratum: [credit codes]} from a population file."""
    return {s.decode("utf-8"): [c.decode("utf-8") for c in codes] for s, codes in _split(data).items()}


def _split(data: bytes) -> dict[bytes, list[bytes]]:
    """{stratum: [credit codes]} as bytes, in file order (no decoding: what the HMAC hashes)."""
    strata: dict[bytes, list[bytes]] = {}
    for line in data.splitlines():
        code, _sep, stratum = line.partition(b",")
        members = strata.get(stratum)
        if members is None:
            members = strata[stratum] = []
        members.append(code)
    return strata


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stratum_count(size: int, permille: int) -> int:
    return min(size, (size * permille + 999) // 1000)


def _hmac_sha256_factory(key: bytes):
    """``mac(msg) -> HMAC-SHA256(key, msg)`` (RFC 2104) with the padded key's inner and outer
    SHA-256 states computed once and copied per message: the same bytes as
    ``hmac.digest(key, msg, "sha256")`` (a test checks it) at under half the cost per message,
    which is what a million messages spend."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key)).copy

    def mac(msg: bytes) -> bytes:
        h = inner()
        h.update(msg)
        o = outer()
        o.update(h.digest())
        return o.digest()

    return mac


def draw_targets_from_file(data: bytes, seed: str, counts_of: Any) -> dict[str, list[tuple[str, str]]]:
    """The draw straight from the population file's bytes (what ``plan_draw`` does):
    ``counts_of({stratum: size})`` gives the number to draw per stratum."""
    strata = _split(data)
    counts = counts_of({s.decode("utf-8"): len(m) for s, m in strata.items()})
    return _draw(strata, seed, {s.encode("utf-8"): n for s, n in counts.items()})


def draw_targets(
    strata: dict[str, list[str]], seed: str, counts: dict[str, int]
) -> dict[str, list[tuple[str, str]]]:
    """{stratum: [(credit code, hmac hex), ...]} ascending by HMAC, ``counts[stratum]`` of each."""
    encoded = {s.encode("utf-8"): [c.encode("utf-8") for c in m] for s, m in strata.items()}
    return _draw(encoded, seed, {s.encode("utf-8"): n for s, n in counts.items()})


# From this many entities on, the HMACs are computed by two processes (a fork: half of every
# stratum each, the n smallest of both halves merged), which halves the draw's wall time on two
# cores. The result is the same list (a test checks it).
PARALLEL_MIN = 200_000


def _smallest(mac, jobs: list[tuple[bytes, list[bytes], int]]) -> dict[bytes, list[tuple[bytes, bytes]]]:
    # Only the n smallest are kept (a heap of n), not a sort of the whole stratum.
    return {s: heapq.nsmallest(n, zip(map(mac, members), members, strict=True)) for s, members, n in jobs}


def _smallest_forked(
    mac, jobs: list[tuple[bytes, list[bytes], int]]
) -> dict[bytes, list[tuple[bytes, bytes]]]:
    """``_smallest`` with the second half of every stratum in a forked child (pipe + pickle; the
    child touches nothing but its half and leaves with ``os._exit``). If the child fails, its half
    is computed here: the result never depends on it."""
    theirs = [(s, m[len(m) // 2 :], n) for s, m, n in jobs]
    mine = [(s, m[: len(m) // 2], n) for s, m, n in jobs]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            os.close(r)
            with os.fdopen(w, "wb") as out:
                out.write(pickle.dumps(_smallest(mac, theirs), protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(w)
    ours = _smallest(mac, mine)
    with os.fdopen(r, "rb") as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    try:
        other = pickle.loads(data)  # noqa: S301 - our own child's bytes, through a private pipe
    except Exception:  # noqa: BLE001 - the child died: do its half here
        other = _smallest(mac, theirs)
    return {s: heapq.nsmallest(n, ours[s] + other[s]) for s, _m, n in jobs}


def _draw(
    strata: dict[bytes, list[bytes]], seed: str, counts: dict[bytes, int]
) -> dict[str, list[tuple[str, str]]]:
    mac = _hmac_sha256_factory(seed.encode("utf-8"))
    jobs = [(s, strata[s], counts.get(s, 0)) for s in sorted(strata) if counts.get(s, 0) > 0]
    total = sum(len(m) for _s, m, _n in jobs)
    parallel = total >= PARALLEL_MIN and (os.cpu_count() or 1) > 1 and hasattr(os, "fork")
    best = (_smallest_forked if parallel else _smallest)(mac, jobs)
    return {
        stratum.decode("utf-8"): [
            (code.decode("utf-8"), digest.hex()) for digest, code in best.get(stratum, [])
        ]
        for stratum in sorted(strata)
    }


def draw_inspectors(
    seed: str, uscc: str, pool: dict[str, list[str]], excluded: set[str], per_department: int
) -> dict[str, list[str]] | None:
    """{department key: [officer numbers]} for one target, or None when a department has too few
    officers left after the exclusions."""
    mac = _hmac_sha256_factory(seed.encode("utf-8"))
    chosen: dict[str, list[str]] = {}
    for dept in sorted(pool):
        ranked = sorted(
            (mac(f"{uscc}/{number}".encode()), number) for number in pool[dept] if number not in excluded
        )
        if len(ranked) < per_department:
            return None
        chosen[dept] = [number for _mac, number in ranked[:per_department]]
    return chosen
