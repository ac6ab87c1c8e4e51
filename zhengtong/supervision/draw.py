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

import contextlib
import hashlib
import heapq
import math
import operator
import os
import pickle
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from itertools import compress
from typing import Any

# The SHA-256 states the HMACs copy: CPython's own implementation where there is one (``_sha256``
# up to 3.11, ``_sha2`` from 3.12), else OpenSSL's. A message here is two compressions, and
# OpenSSL's per-object cost (an EVP context copied for every ``copy()`` and ``digest()``) is more
# than they cost: CPython's plain struct copies make an HMAC about a fifth cheaper, the same
# bytes (tested against ``hmac.digest``).
try:
    from _sha256 import sha256 as _sha256_state
except ImportError:  # pragma: no cover - Python 3.12+ or another interpreter
    try:
        from _sha2 import sha256 as _sha256_state
    except ImportError:
        _sha256_state = hashlib.sha256


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


# Every byte but the two separators (and "\r", which ``splitlines`` would also split at).
_NOT_SEPARATORS = bytes(b for b in range(256) if b not in b",\n\r")


def _columns(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """(credit codes, strata) as bytes, in file order (no decoding: what the HMAC hashes).

    A population file has exactly one comma per line (credit codes and strata have none), so
    it is split at every comma and newline at once, in C, instead of line by line in Python
    (a second of a million-line draw). That this is the same split is checked first, in C too:
    with everything but the separators deleted, the file must read ``",\\n"`` once per line.
    Any other file is split line by line as before (first comma)."""
    lines = data.count(b"\n")
    if data.endswith(b"\n") and data.translate(None, _NOT_SEPARATORS) == b",\n" * lines:
        fields = data.replace(b",", b"\n").split(b"\n")
        return fields[0:-1:2], fields[1::2]
    codes, strata = [], []
    for line in data.splitlines():
        code, _sep, stratum = line.partition(b",")
        codes.append(code)
        strata.append(stratum)
    return codes, strata


def _split(data: bytes) -> dict[bytes, list[bytes]]:
    """{stratum: [credit codes]} as bytes, strata in order of first appearance, codes in file
    order."""
    codes, strata = _columns(data)
    return {s: list(compress(codes, map(s.__eq__, strata))) for s in dict.fromkeys(strata)}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stratum_count(size: int, permille: int) -> int:
    return min(size, (size * permille + 999) // 1000)


def _hmac_sha256_factory(key: bytes, sha256: Callable[[bytes], Any] = _sha256_state):
    """``mac(msg) -> HMAC-SHA256(key, msg)`` (RFC 2104) with the padded key's inner and outer
    SHA-256 states computed once and copied per message: the same bytes as
    ``hmac.digest(key, msg, "sha256")`` (a test checks it, with either SHA-256) at under half
    the cost per message, which is what a million messages spend."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key)).copy
    outer = sha256(bytes(b ^ 0x5C for b in key)).copy

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

    def counts_of_bytes(sizes: Counter[bytes]) -> dict[bytes, int]:
        counts = counts_of({s.decode("utf-8"): n for s, n in sizes.items()})
        return {s.encode("utf-8"): n for s, n in counts.items()}

    mac = _hmac_sha256_factory(seed.encode("utf-8"))
    if data.count(b"\n") >= PARALLEL_MIN and _can_fork():
        best, sizes = _file_in_two_processes(data, mac, counts_of_bytes)
    else:
        codes, strata = _columns(data)
        sizes = Counter(strata)
        best = _select(mac, counts_of_bytes(sizes), codes, strata, sizes)
    return _decoded(best, sizes)


def _file_in_two_processes(
    data: bytes, mac: Callable[[bytes], bytes], counts_of: Callable[[Counter[bytes]], dict[bytes, int]]
) -> tuple[dict[bytes, list[tuple[bytes, bytes]]], Counter[bytes]]:
    """The draw of a large file by two processes from the start: a forked child splits and hashes
    the second half of the file's lines, this process the first, so the parent never holds the
    child's half (no split before the fork, no copy-on-write of it after). The numbers to draw
    need both halves' stratum sizes: the child sends its sizes, this process sends back the
    numbers, each keeps the n smallest of its half, the child sends them. If the child fails at
    any point, its half is done here: the result never depends on it."""
    mid = data.find(b"\n", len(data) // 2) + 1 or len(data)
    up_r, up_w = os.pipe()  # child → parent: its sizes, then its n smallest
    down_r, down_w = os.pipe()  # parent → child: the numbers to draw
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            os.close(up_r)
            os.close(down_w)
            with os.fdopen(up_w, "wb") as up, os.fdopen(down_r, "rb") as down:
                codes, strata = _columns(data[mid:])
                sizes = Counter(strata)
                pickle.dump(sizes, up, protocol=pickle.HIGHEST_PROTOCOL)
                up.flush()
                counts = pickle.load(down)  # noqa: S301 - our parent's bytes, through a private pipe
                pickle.dump(_select(mac, counts, codes, strata, sizes), up, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(0)
    os.close(up_w)
    os.close(down_r)
    up, down = os.fdopen(up_r, "rb"), os.fdopen(down_w, "wb")
    theirs_columns = None  # the child's half, if it has to be done here
    try:
        codes, strata = _columns(data[:mid])
        sizes = Counter(strata)
        theirs_sizes = _receive(up)
        if theirs_sizes is None:
            theirs_columns = _columns(data[mid:])
            theirs_sizes = Counter(theirs_columns[1])
        counts = counts_of(sizes + theirs_sizes)
        with contextlib.suppress(OSError):  # the child is gone
            pickle.dump(counts, down, protocol=pickle.HIGHEST_PROTOCOL)
            down.close()
        mine = _select(mac, counts, codes, strata, sizes)
        del codes, strata
        theirs = _receive(up) if theirs_columns is None else None
        if theirs is None:
            theirs_columns = theirs_columns or _columns(data[mid:])
            theirs = _select(mac, counts, *theirs_columns, Counter(theirs_columns[1]))
    finally:
        up.close()
        with contextlib.suppress(OSError):  # the child is gone
            down.close()
        _reap(pid)
    wanted = {s: n for s, n in counts.items() if n > 0}
    best = {s: heapq.nsmallest(n, mine.get(s, []) + theirs.get(s, [])) for s, n in wanted.items()}
    return best, sizes + theirs_sizes


def _reap(pid: int) -> None:
    """Collect a forked child without waiting for its exit: once it has sent its part (or died),
    the time it takes to leave (its copied address space torn down, tens of milliseconds for a
    process that holds a population) is not the draw's. A daemon thread waits for it if it has
    not left yet."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return
    if not done:
        threading.Thread(target=_wait, args=(pid,), name="draw-reaper", daemon=True).start()


def _wait(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # collected elsewhere already
        os.waitpid(pid, 0)


def _receive(inp: Any) -> Any:
    """The next object the child sent, or None if it died before sending it."""
    try:
        return pickle.load(inp)  # noqa: S301 - our own child's bytes, through a private pipe
    except Exception:  # noqa: BLE001 - the child died: the caller does its part
        return None


def _select(
    mac: Callable[[bytes], bytes],
    counts: dict[bytes, int],
    codes: list[bytes],
    strata: list[bytes],
    sizes: Counter[bytes],
) -> dict[bytes, list[tuple[bytes, bytes]]]:
    """``_smallest`` of the strata drawn from (n > 0): the codes of the others are not hashed."""
    wanted = {s: counts[s] for s in sizes if counts.get(s, 0) > 0}
    if len(wanted) < len(sizes):
        keep = list(map(wanted.__contains__, strata))
        codes, strata = list(compress(codes, keep)), list(compress(strata, keep))
    return _smallest(mac, wanted, codes, strata, {s: sizes[s] for s in wanted})


def _decoded(
    best: dict[bytes, list[tuple[bytes, bytes]]], names: Iterable[bytes]
) -> dict[str, list[tuple[str, str]]]:
    return {
        stratum.decode("utf-8"): [
            (code.decode("utf-8"), digest.hex()) for digest, code in best.get(stratum, [])
        ]
        for stratum in sorted(names)
    }


def draw_targets(
    strata: dict[str, list[str]], seed: str, counts: dict[str, int]
) -> dict[str, list[tuple[str, str]]]:
    """{stratum: [(credit code, hmac hex), ...]} ascending by HMAC, ``counts[stratum]`` of each."""
    codes = [c.encode("utf-8") for members in strata.values() for c in members]
    column = [s.encode("utf-8") for s, members in strata.items() for _c in members]
    names = [s.encode("utf-8") for s in strata]
    return _draw(codes, column, names, seed, {s.encode("utf-8"): n for s, n in counts.items()})


# From this many entities on, the HMACs are computed by two processes (a fork: half of the
# population each, the n smallest of both halves merged), which halves the draw's wall time on
# two cores. The result is the same list (a test checks it). Likewise the inspectors from this
# many HMACs (targets × officers in the pool) on, half of the targets each.
PARALLEL_MIN = 200_000
INSPECTORS_PARALLEL_MIN = 100_000


def _can_fork() -> bool:
    return (os.cpu_count() or 1) > 1 and hasattr(os, "fork")


def _in_two_processes(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """``(first(), second())`` with ``second()`` computed meanwhile in a forked child (pipe +
    pickle; the child computes nothing else and leaves with ``os._exit``). If the child fails,
    ``second()`` is computed here: the result never depends on it."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            os.close(r)
            with os.fdopen(w, "wb") as out:
                out.write(pickle.dumps(second(), protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(w)
    inp = os.fdopen(r, "rb")
    try:
        mine = first()
        data = inp.read()
    finally:
        inp.close()  # if first() failed, a child still writing gets EPIPE and leaves
        _reap(pid)
    try:
        theirs = pickle.loads(data)  # noqa: S301 - our own child's bytes, through a private pipe
    except Exception:  # noqa: BLE001 - the child died: do its part here
        theirs = second()
    return mine, theirs


def _room(n: int) -> int:
    """How many candidates the cut-off of a stratum should let through to find its n smallest:
    n + 4√n + 8, four standard deviations over n."""
    return n + 4 * math.isqrt(n) + 8


def _smallest(
    mac: Callable[[bytes], bytes],
    counts: dict[bytes, int],
    codes: list[bytes],
    strata: list[bytes],
    sizes: dict[bytes, int],
) -> dict[bytes, list[tuple[bytes, bytes]]]:
    """{stratum: its ``counts[stratum]`` smallest (HMAC, code) among these rows (``sizes[stratum]``
    of them), ascending}.

    Every code is hashed, but the n smallest are not searched for among all of them in Python:
    HMACs are uniform, so a cut-off per stratum under which about n + 4√n + 8 of its codes fall
    keeps the candidates in one pass of C-level iterators. Exact all the same: every code left
    out has a larger HMAC than every candidate, and a stratum with fewer than n candidates (a
    chance of about one in ten thousand) is searched in full."""
    macs = list(map(mac, codes))
    cut: dict[bytes, bytes] = {}
    for s, size in sizes.items():
        under = -(-(_room(counts[s]) << 64) // size)  # ceil(room / size × 2⁶⁴)
        # The first 8 bytes of an HMAC below ``under``; 33 bytes of 0xff are above every HMAC.
        cut[s] = under.to_bytes(8, "big") if under < 1 << 64 else b"\xff" * 33
    found: dict[bytes, list[tuple[bytes, bytes]]] = {s: [] for s in sizes}
    for digest, code, s in compress(
        zip(macs, codes, strata, strict=True), map(operator.lt, macs, map(cut.__getitem__, strata))
    ):
        found[s].append((digest, code))
    best = {}
    for s, candidates in found.items():
        n = counts[s]
        if len(candidates) < n and len(candidates) < sizes[s]:
            best[s] = heapq.nsmallest(n, compress(zip(macs, codes, strict=True), map(s.__eq__, strata)))
        else:
            best[s] = heapq.nsmallest(n, candidates)
    return best


def _draw(
    codes: list[bytes], strata: list[bytes], names: list[bytes], seed: str, counts: dict[bytes, int]
) -> dict[str, list[tuple[str, str]]]:
    mac = _hmac_sha256_factory(seed.encode("utf-8"))
    sizes = Counter(strata)
    if len(codes) >= PARALLEL_MIN and _can_fork():
        mid = len(codes) // 2
        mine, theirs = _in_two_processes(
            lambda: _select(mac, counts, codes[:mid], strata[:mid], Counter(strata[:mid])),
            lambda: _select(mac, counts, codes[mid:], strata[mid:], Counter(strata[mid:])),
        )
        wanted = {s: counts[s] for s in sizes if counts.get(s, 0) > 0}
        best = {s: heapq.nsmallest(n, mine.get(s, []) + theirs.get(s, [])) for s, n in wanted.items()}
    else:
        best = _select(mac, counts, codes, strata, sizes)
    return _decoded(best, names)


def draw_inspectors(
    seed: str, uscc: str, pool: dict[str, list[str]], excluded: Collection[str], per_department: int
) -> dict[str, list[str]] | None:
    """{department key: [officer numbers]} for one target, or None when a department has too few
    officers left after the exclusions."""
    return draw_inspectors_many(seed, pool, [(uscc, excluded)], per_department)[0]


def draw_inspectors_many(
    seed: str,
    pool: dict[str, list[str]],
    targets: list[tuple[str, Collection[str]]],
    per_department: int,
) -> list[dict[str, list[str]] | None]:
    """``draw_inspectors`` for every (credit code, excluded officer numbers) of ``targets``, in
    their order: the HMAC key's states and the officers' message suffixes prepared once, and from
    ``INSPECTORS_PARALLEL_MIN`` HMACs on half of the targets in a forked child."""
    mac = _hmac_sha256_factory(seed.encode("utf-8"))
    departments = [
        (dept, [f"/{number}".encode() for number in pool[dept]], pool[dept]) for dept in sorted(pool)
    ]

    def choose(part: list[tuple[str, Collection[str]]]) -> list[dict[str, list[str]] | None]:
        out: list[dict[str, list[str]] | None] = []
        for uscc, excluded in part:
            prefix = uscc.encode("utf-8")
            chosen: dict[str, list[str]] | None = {}
            for dept, suffixes, numbers in departments:
                if excluded:
                    eligible = [number not in excluded for number in numbers]
                    suffixes_, numbers_ = compress(suffixes, eligible), compress(numbers, eligible)
                else:
                    suffixes_, numbers_ = suffixes, numbers
                ranked = heapq.nsmallest(
                    per_department, zip(map(mac, map(prefix.__add__, suffixes_)), numbers_, strict=True)
                )
                if len(ranked) < per_department:
                    chosen = None
                    break
                chosen[dept] = [number for _mac, number in ranked]
            out.append(chosen)
        return out

    hmacs = len(targets) * sum(len(numbers) for numbers in pool.values())
    if hmacs >= INSPECTORS_PARALLEL_MIN and len(targets) > 1 and _can_fork():
        mid = len(targets) // 2
        mine, theirs = _in_two_processes(lambda: choose(targets[:mid]), lambda: choose(targets[mid:]))
        return mine + theirs
    return choose(targets)
