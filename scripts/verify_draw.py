#!/usr/bin/env python3
"""Recompute a published 双随机一公开 draw without any Zhengtong code (standard library only).

    python verify_draw.py draw.json population.csv

draw.json is GET /api/v1/supervision/public/plans/<number>/draw; population.csv is
GET /api/v1/supervision/public/plans/<number>/population.csv. Checks: the population file's
SHA-256 is the published hash; SHA-256 of the seed is the published commitment; per stratum the
targets are the n credit codes with the smallest HMAC-SHA256(key=seed, msg=credit code), where
n = ceil(size × per mille / 1000) with the published per mille of the stratum; the inspectors of each target are, among the officers of the
pool not excluded for it, those with the smallest HMAC-SHA256(key=seed, msg="<code>/<number>").
Prints OK and exits 0, or prints the first difference and exits 1.
"""

import hashlib
import hmac
import json
import sys


def mac(seed: str, msg: str) -> bytes:
    return hmac.new(seed.encode("utf-8"), msg.encode("utf-8"), hashlib.sha256).digest()


def main(draw_path: str, population_path: str) -> int:
    with open(draw_path, encoding="utf-8") as f:
        published = json.load(f)
    with open(population_path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != published["population_hash"]:
        print("population file does not match the published hash")
        return 1
    seed = published["seed"]
    if not seed or hashlib.sha256(seed.encode("utf-8")).hexdigest() != published["seed_commitment"]:
        print("seed does not match the published commitment")
        return 1
    strata: dict[str, list[str]] = {}
    for line in data.decode("utf-8").splitlines():
        code, stratum = line.split(",", 1)
        strata.setdefault(stratum, []).append(code)
    targets: dict[str, list[dict]] = {}
    for t in published["targets"]:
        targets.setdefault(t["stratum"], []).append(t)
    for stratum in sorted(set(strata) | set(targets)):
        got = sorted(targets.get(stratum, []), key=lambda t: t["rank"])
        members = strata.get(stratum, [])
        permille = published["permille"][stratum]
        n = min(len(members), (len(members) * permille + 999) // 1000)
        expected = sorted(members, key=lambda c: mac(seed, c))[:n]
        if [t["uscc"] for t in got] != expected:
            print(f"stratum {stratum}: the published targets are not the recomputed ones")
            return 1
        for t in got:
            if t["hmac"] != mac(seed, t["uscc"]).hex():
                print(f"{t['uscc']}: wrong HMAC")
                return 1
            k = published["inspectors_per_department"]
            for dept, numbers in published["officers"].items():
                eligible = [o for o in numbers if o not in t["excluded"]]
                chosen = sorted(sorted(eligible, key=lambda o: mac(seed, f"{t['uscc']}/{o}"))[:k])
                if chosen != t["inspectors"].get(dept):
                    print(f"{t['uscc']}: the inspectors of {dept} are not the recomputed ones")
                    return 1
    print(
        f"OK: {len(published['targets'])} targets and their inspectors over {sum(map(len, strata.values()))} entities recomputed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
