"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their verification.

Pure functions over 32-byte hashes. Leaves are ``SHA-256(0x00 || data)``, interior nodes
``SHA-256(0x01 || left || right)``; the tree over n leaves splits at the largest power of two
below n, so every left subtree is perfect and aligned. ``Frontier`` keeps the perfect subtrees of
the current size (at most 64) and appends leaves in O(log n) amortised, yielding each new interior
node so the log can store it; proofs read O(log n) stored nodes through a ``subtree`` callback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_ranges(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees of a tree of ``size`` leaves, left to right, as (level, index)."""
    out = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


class Frontier:
    """The right edge of the tree: one hash per set bit of the size, highest level first."""

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None):
        self.size = size
        self.hashes = list(hashes or [])
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError("a frontier holds one hash per perfect subtree of the size")

    def append(self, leaf: bytes) -> Iterator[tuple[int, int, bytes]]:
        """Add one leaf hash; yields (level, index, hash) for every interior node it completes."""
        index = self.size
        self.hashes.append(leaf)
        level = 0
        while index & 1:
            right = self.hashes.pop()
            left = self.hashes.pop()
            index >>= 1
            level += 1
            merged = node_hash(left, right)
            self.hashes.append(merged)
            yield level, index, merged
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result


Subtree = Callable[[int, int], bytes]  # (level, index) -> hash of that perfect subtree


def range_hash(lo: int, hi: int, subtree: Subtree) -> bytes:
    """MTH over leaves [lo, hi) (an aligned RFC subtree) from stored perfect subtrees."""
    n = hi - lo
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return subtree(level, lo >> level)
    k = split(n)
    return node_hash(range_hash(lo, lo + k, subtree), range_hash(lo + k, hi, subtree))


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1, leaf first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = split(n)
        if m - lo < k:
            return [*path(m, lo, lo + k), range_hash(lo + k, hi, subtree)]
        return [*path(m, lo + k, hi), range_hash(lo, lo + k, subtree)]

    return path(index, 0, size)


def consistency_path(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1."""
    if not 0 < first <= second:
        raise ValueError("tree sizes must satisfy 0 < first <= second")

    def sub(m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if complete else [range_hash(lo, hi, subtree)]
        k = split(n)
        if m <= k:
            return [*sub(m, lo, lo + k, complete), range_hash(lo + k, hi, subtree)]
        return [*sub(m - k, lo + k, hi, False), range_hash(lo, lo + k, subtree)]

    return sub(first, 0, second, True)


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not path and first_root == second_root
    if not 0 < first < second or not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
