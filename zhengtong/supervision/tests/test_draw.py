import datetime as dt
import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied
from zhengtong.supervision import draw, selectors, services
from zhengtong.supervision.models import Inspection, InspectionPlan

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def _plan(w, **kw):
    values = {
        "actor": w.manager,
        "department": w.xihu_scjg,
        "title": "2026年食品经营双随机抽查",
        "items": [w.item],
        "filters": {"region_prefix": "330106"},
        "permille": {"U": 200},
        "inspectors_per_department": 2,
    }
    return services.plan_create(**{**values, **kw})


def test_commit_publishes_hash_and_commitment_then_draw_reveals_seed(sv):
    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    data = services.population_path(plan).read_bytes()
    assert plan.population_size == 30
    assert hashlib.sha256(data).hexdigest() == plan.population_hash
    assert hashlib.sha256(plan.seed.encode()).hexdigest() == plan.seed_commitment
    public = selectors.published_draw(plan)
    assert public["seed"] is None and public["targets"] == []

    services.plan_draw(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    public = selectors.published_draw(plan)
    assert public["seed"] == plan.seed
    # 30 × 200 ‰ = 6 targets, the six smallest HMACs of the credit codes.
    codes = sorted(e.uscc for e in sv.entities)
    expected = sorted(codes, key=lambda c: hmac.new(plan.seed.encode(), c.encode(), "sha256").digest())[:6]
    assert [t["uscc"] for t in public["targets"]] == expected
    for target in public["targets"]:
        assert [len(v) for v in target["inspectors"].values()] == [2]
        # officer 0 lives in 义乌 (330782), not where the targets are: not excluded for residence.
        assert all(reason in ("residence", "recent", "declared") for reason in target["excluded"].values())


def test_residence_conflict_excludes_officer(sv):
    sv.officers[1].residence_region = "330106"
    sv.officers[1].save(update_fields=["residence_region"])
    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    services.plan_draw(actor=sv.manager, plan=plan)
    for inspection in Inspection.objects.filter(plan=plan):
        assert inspection.exclusions == {sv.officers[1].number: "residence"}
        assert sv.officers[1] not in inspection.inspectors.all()


def test_recent_and_declared_conflicts_exclude_officers(sv):
    services.officer_register(
        actor=sv.manager,
        department=sv.xihu_scjg,
        number="3301060099",
        name="执法员99",
        certificate_no="ZJ000099",
        certificate_valid_to=dt.date(2030, 1, 1),
    )
    related = sv.officers[3]
    related.declared_relations = [sv.entities[0].uscc]
    related.save(update_fields=["declared_relations"])
    plans = []
    for _run in range(2):
        plan = _plan(sv, title="全量抽查", permille={"U": 1000})
        services.plan_commit(actor=sv.manager, plan=plan)
        services.plan_draw(actor=sv.manager, plan=plan)
        plans.append(plan)

    def drawn(plan):
        return {
            i.entity.uscc: (i.exclusions, sorted(o.number for o in i.inspectors.all()))
            for i in Inspection.objects.filter(plan=plan)
            .select_related("entity")
            .prefetch_related("inspectors")
        }

    before, after = drawn(plans[0]), drawn(plans[1])
    assert len(before) == len(after) == 30
    declared_for = sv.entities[0].uscc
    for code, (exclusions, inspectors) in before.items():
        assert exclusions == ({related.number: "declared"} if code == declared_for else {})
        assert len(inspectors) == 2
    for code, (exclusions, inspectors) in after.items():
        expected = {number: "recent" for number in before[code][1]}
        if code == declared_for:
            expected[related.number] = "declared"
        assert exclusions == expected
        assert len(inspectors) == 2 and not set(inspectors) & set(expected)


def test_second_draw_or_other_seed_refused_and_audited(sv):
    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    with pytest.raises(Conflict) as exc:
        services.plan_draw(actor=sv.manager, plan=plan, seed="00" * 32)
    assert exc.value.code == "supervision_seed_mismatch"
    plan.refresh_from_db()
    assert plan.state == "committed" and Inspection.objects.filter(plan=plan).count() == 0
    assert AuditEvent.objects.filter(action="supervision.plan.draw_refused").count() == 1
    services.plan_draw(actor=sv.manager, plan=plan, seed=plan.seed)
    first = list(Inspection.objects.filter(plan=plan).values_list("entity_id", flat=True))
    plan.refresh_from_db()
    with pytest.raises(Conflict):
        services.plan_draw(actor=sv.manager, plan=plan)
    assert list(Inspection.objects.filter(plan=plan).values_list("entity_id", flat=True)) == first
    assert AuditEvent.objects.filter(action="supervision.plan.draw_refused").count() == 2


def test_officer_may_not_draw(sv):
    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_draw(actor=sv.officers[0].user, plan=plan)
    assert InspectionPlan.objects.get(pk=plan.pk).state == "committed"


def test_independent_script_recomputes_the_draw(sv, tmp_path):
    import json

    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    services.plan_draw(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    (tmp_path / "draw.json").write_text(json.dumps(selectors.published_draw(plan), default=str))
    (tmp_path / "population.csv").write_bytes(services.population_path(plan).read_bytes())
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_draw.py"),
            str(tmp_path / "draw.json"),
            str(tmp_path / "population.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK" in out.stdout
    # A tampered list fails.
    tampered = selectors.published_draw(plan)
    tampered["targets"][0]["uscc"], tampered["targets"][1]["uscc"] = (
        tampered["targets"][1]["uscc"],
        tampered["targets"][0]["uscc"],
    )
    (tmp_path / "draw.json").write_text(json.dumps(tampered, default=str))
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "verify_draw.py"),
            str(tmp_path / "draw.json"),
            str(tmp_path / "population.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1


def test_draw_targets_pure():
    strata = {"A": [f"C{i:03d}" for i in range(100)], "D": [f"D{i:03d}" for i in range(10)]}
    result = draw.draw_targets(strata, "seed", {"A": 1, "D": 3})
    assert len(result["A"]) == 1 and len(result["D"]) == 3
    macs = [m for _c, m in result["D"]]
    assert macs == sorted(macs)


@pytest.mark.parametrize("sha256", [draw._sha256_state, hashlib.sha256], ids=["cpython", "openssl"])
@pytest.mark.parametrize("key", [b"", b"k", b"0" * 64, b"x" * 65, b"\xff" * 200])
def test_precomputed_hmac_equals_the_standard_library(key, sha256):
    mac = draw._hmac_sha256_factory(key, sha256)
    for msg in (b"", b"91330106MA27XXXX0X", "统一/3301".encode(), b"a" * 1000):
        assert mac(msg) == hmac.digest(key, msg, "sha256")


def test_draw_from_file_equals_draw_from_parsed_strata():
    rows = [(f"91330106{i:09d}X", "ABCDU"[i % 5]) for i in range(2000)]
    data = draw.population_text(rows)
    assert data == "".join(f"{c},{s}\n" for c, s in sorted(rows)).encode()
    seed = draw.new_seed()
    counts = {"A": 3, "B": 0, "C": 7, "D": 400, "U": 1}
    from_file = draw.draw_targets_from_file(data, seed, lambda sizes: {s: counts[s] for s in sizes})
    assert from_file == draw.draw_targets(draw.parse_population(data), seed, counts)
    assert [len(from_file[s]) for s in "ABCDU"] == [3, 0, 7, 400, 1]
    assert from_file["D"] == sorted(from_file["D"], key=lambda r: r[1])


def test_forked_draw_is_the_same_list(monkeypatch):
    """Above ``PARALLEL_MIN`` the HMACs are split over a forked child; the list is the same."""
    strata = {s: [f"91330106{i:09d}X" for i in range(k, 3000, 5)] for k, s in enumerate("ABCDU")}
    counts = {"A": 3, "B": 7, "C": 1, "D": 50, "U": 0}
    monkeypatch.setattr(draw, "PARALLEL_MIN", 10**9)
    serial = draw.draw_targets(strata, "ab" * 32, counts)
    monkeypatch.setattr(draw, "PARALLEL_MIN", 1)
    assert draw.draw_targets(strata, "ab" * 32, counts) == serial
    assert [len(serial[s]) for s in "ABCDU"] == [3, 7, 1, 50, 0]


def _split_line_by_line(data):
    """The population file split the slow, obvious way (first comma of each line)."""
    strata = {}
    for line in data.splitlines():
        code, _sep, stratum = line.partition(b",")
        strata.setdefault(stratum, []).append(code)
    return strata


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"C1,A\nC2,B\nC3,A\n",
        b"C1,A\nC2,B",  # no final newline
        b"X\nY,A,B\nZ,C\n",  # as many commas as lines, but not one per line
        b"C1,A\r\nC2,B\n",
        b"C1,\n,A\n",
    ],
)
def test_population_split_at_once_equals_line_by_line(data):
    assert draw._split(data) == _split_line_by_line(data)


def test_cut_off_too_tight_falls_back_to_the_whole_stratum(monkeypatch):
    """The cut-off only saves work: when fewer than n codes fall under it, the stratum is searched
    in full, and the list is the same."""
    strata = {s: [f"91330106{i:09d}X" for i in range(k, 5000, 5)] for k, s in enumerate("ABCDU")}
    counts = {"A": 3, "B": 40, "C": 1, "D": 200, "U": 1000}
    expected = draw.draw_targets(strata, "cd" * 32, counts)
    for room in (lambda n: 0, lambda n: n // 2, lambda n: n + 1):
        monkeypatch.setattr(draw, "_room", room)
        assert draw.draw_targets(strata, "cd" * 32, counts) == expected
    assert [len(expected[s]) for s in "ABCDU"] == [3, 40, 1, 200, 1000]
    by_hmac = sorted(strata["D"], key=lambda c: hmac.digest(b"cd" * 32, c.encode(), "sha256"))
    assert [c for c, _mac in expected["D"]] == by_hmac[:200]


def test_inspectors_drawn_together_equal_one_by_one(monkeypatch):
    """``draw_inspectors_many`` (forked above ``INSPECTORS_PARALLEL_MIN``) gives each target what
    the published rule gives it alone, including None when a department runs out of officers."""
    seed = "ef" * 32
    pool = {
        "330106-wjw": [f"33010610{i:02d}" for i in range(30)],
        "330106-scjg": ["3301060001", "3301060002"],
    }
    targets = [(f"91330106{i:09d}X", {pool["330106-wjw"][i % 30]} if i % 3 else set()) for i in range(60)]
    targets[5] = (targets[5][0], {"3301060002"})  # one scjg officer left: too few for 2
    expected = []
    for code, excluded in targets:
        chosen = {}
        for dept in sorted(pool):
            ranked = sorted(
                (hmac.digest(seed.encode(), f"{code}/{n}".encode(), "sha256"), n)
                for n in pool[dept]
                if n not in excluded
            )
            chosen[dept] = [n for _m, n in ranked[:2]] if len(ranked) >= 2 else None
        expected.append(None if None in chosen.values() else chosen)
    assert expected[5] is None and all(e is not None for i, e in enumerate(expected) if i != 5)
    monkeypatch.setattr(draw, "INSPECTORS_PARALLEL_MIN", 10**9)
    assert draw.draw_inspectors_many(seed, pool, targets, 2) == expected
    monkeypatch.setattr(draw, "INSPECTORS_PARALLEL_MIN", 1)
    assert draw.draw_inspectors_many(seed, pool, targets, 2) == expected
    assert [draw.draw_inspectors(seed, c, pool, ex, 2) for c, ex in targets] == expected


@pytest.mark.parametrize("child_fails_in", [None, "_columns", "_select"])
def test_forked_draw_from_file_is_the_same_list(monkeypatch, child_fails_in):
    """Above ``PARALLEL_MIN`` lines a forked child splits and hashes half of the file (sizes sent
    up, numbers to draw sent down); the list is the same, also when the child dies on the way."""
    rows = [(f"91330106{i:09d}X", "ABCDU"[i * 7 % 5]) for i in range(4000)]
    data = draw.population_text(rows)

    def counts_of(sizes):
        return {s: draw.stratum_count(n, {"A": 10, "B": 0}.get(s, 30)) for s, n in sizes.items()}

    monkeypatch.setattr(draw, "PARALLEL_MIN", 10**9)
    serial = draw.draw_targets_from_file(data, "12" * 32, counts_of)
    monkeypatch.setattr(draw, "PARALLEL_MIN", 1)
    if child_fails_in:
        parent, real = os.getpid(), getattr(draw, child_fails_in)

        def dies_in_the_child(*args):
            if os.getpid() != parent:
                raise RuntimeError("the child dies")
            return real(*args)

        monkeypatch.setattr(draw, child_fails_in, dies_in_the_child)
    assert draw.draw_targets_from_file(data, "12" * 32, counts_of) == serial
    assert [len(serial[s]) for s in "ABCDU"] == [8, 0, 24, 24, 24]


def test_entities_deregistered_after_the_commitment_are_still_drawn_targets(sv):
    """The published draw stands: a target deregistered (注销) between commitment and draw is
    inspected like the others (its inspection records what was found), not a server error."""
    from zhengtong.registry.models import LegalEntity

    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    LegalEntity.objects.filter(uscc__in=[e.uscc for e in sv.entities]).update(
        status=LegalEntity.Status.DEREGISTERED
    )
    services.plan_draw(actor=sv.manager, plan=plan)
    plan.refresh_from_db()
    assert plan.state == "drawn"
    codes = sorted(e.uscc for e in sv.entities)
    expected = sorted(codes, key=lambda c: hmac.new(plan.seed.encode(), c.encode(), "sha256").digest())[:6]
    assert sorted(Inspection.objects.filter(plan=plan).values_list("entity__uscc", flat=True)) == sorted(
        expected
    )


def _verify(plan, tmp_path) -> subprocess.CompletedProcess:
    import json

    plan.refresh_from_db()
    (tmp_path / "draw.json").write_text(json.dumps(selectors.published_draw(plan), default=str))
    (tmp_path / "population.csv").write_bytes(services.population_path(plan).read_bytes())
    script = str(ROOT / "scripts" / "verify_draw.py")
    args = [sys.executable, script, str(tmp_path / "draw.json"), str(tmp_path / "population.csv")]
    return subprocess.run(args, capture_output=True, text=True)


def test_inspectors_come_from_the_pool_frozen_at_the_commitment(sv, tmp_path):
    """An officer registered after the commitment is not in the published pool: never drawn. One
    whose certificate lapsed or who left since is in it: excluded for every target as
    ``unavailable`` (published), so the public still recomputes the same inspectors."""
    from zhengtong.supervision.models import Officer

    plan = _plan(sv, permille={"U": 1000})
    services.plan_commit(actor=sv.manager, plan=plan)
    late = services.officer_register(
        actor=sv.manager,
        department=sv.xihu_scjg,
        number="3301060098",
        name="执法员98",
        certificate_no="ZJ000098",
        certificate_valid_to=dt.date(2030, 1, 1),
    )
    gone, lapsed = sv.officers[1], sv.officers[2]
    Officer.objects.filter(pk=gone.pk).update(active=False)
    Officer.objects.filter(pk=lapsed.pk).update(certificate_valid_to=dt.date(2020, 1, 1))
    services.plan_draw(actor=sv.manager, plan=plan)
    inspections = list(Inspection.objects.filter(plan=plan).prefetch_related("inspectors"))
    assert len(inspections) == 30
    for i in inspections:
        assert i.exclusions == {gone.number: "unavailable", lapsed.number: "unavailable"}
        assert sorted(o.number for o in i.inspectors.all()) == sorted(
            [sv.officers[0].number, sv.officers[3].number]
        )
        assert late not in i.inspectors.all()
    out = _verify(plan, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_draw_refused_when_the_officer_pool_file_changed(sv):
    plan = _plan(sv)
    services.plan_commit(actor=sv.manager, plan=plan)
    pool = services.plan_dir(plan) / "officers.csv"
    pool.write_bytes(pool.read_bytes().replace(sv.officers[1].number.encode(), b"3301069999"))
    with pytest.raises(Conflict) as exc:
        services.plan_draw(actor=sv.manager, plan=plan)
    assert exc.value.details["reason"] == "officer pool file does not match its published hash"
    plan.refresh_from_db()
    assert plan.state == "committed" and not Inspection.objects.filter(plan=plan).exists()
    assert AuditEvent.objects.filter(action="supervision.plan.draw_refused", target_id=str(plan.pk)).exists()


def test_copy_writes_the_same_rows_as_bulk_create(sv):
    """The PostgreSQL path (two COPYs, ids from the sequence) and the portable one store the same
    inspections and links for the same draw."""
    from django.db import connection

    from zhengtong.supervision.services import plans

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    rows = [
        ("U", rank, e.pk, f"{rank:064x}", {sv.officers[1].number: "residence"} if rank % 2 else {})
        for rank, e in enumerate(sv.entities[:5], 1)
    ]
    links = [[sv.officers[0].pk, sv.officers[2 + rank % 2].pk] for rank in range(5)]
    stored = []
    for write in (plans._copy_drawn, plans._bulk_create_drawn):
        plan = _plan(sv)
        write(plan, rows, links)
        inspections = Inspection.objects.filter(plan=plan).order_by("rank")
        stored.append(
            (
                [{k: v for k, v in i.items() if k not in ("id", "plan_id")} for i in inspections.values()],
                [sorted(i.inspectors.values_list("pk", flat=True)) for i in inspections],
            )
        )
    assert stored[0] == stored[1]
    assert stored[0][0][0]["state"] == "assigned" and stored[0][0][0]["sla_state"]
    assert stored[0][1] == [sorted(ids) for ids in links]


def test_forked_children_are_collected_without_waiting_for_their_exit(monkeypatch):
    """The draw does not wait for a child to leave once it has sent its part, but no child is
    left behind (a zombie) either: each one is collected."""
    import time

    pids = []
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(draw.os, "fork", fork)
    monkeypatch.setattr(draw, "PARALLEL_MIN", 1)
    monkeypatch.setattr(draw, "INSPECTORS_PARALLEL_MIN", 1)
    data = b"".join(b"91330106%09dX,%s\n" % (i, b"ABCDU"[i % 5 : i % 5 + 1]) for i in range(2000))
    drawn = draw.draw_targets_from_file(data, "34" * 32, lambda sizes: dict.fromkeys(sizes, 3))
    chosen = draw.draw_inspectors_many(
        "34" * 32, {"d": [f"{n:04d}" for n in range(10)]}, [(c, ()) for c, _m in drawn["A"]], 2
    )
    assert len(pids) == 2 and all(len(c["d"]) == 2 for c in chosen)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
