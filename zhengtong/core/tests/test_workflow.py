from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.models import TimelineEntry
from zhengtong.core.workflow import timeline
from zhengtong.registry import services
from zhengtong.registry.models import Licence, LicenceType


def _licence(world) -> Licence:
    lt = LicenceType.objects.create(code="id_card", name="居民身份证", holder_kind="person")
    person = world.person()
    return services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number=person.resident_id,
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2020, 1, 1),
        holder_person=person,
    )


@pytest.mark.django_db
def test_transition_changes_state_bumps_version_and_records_timeline_and_audit(world):
    licence = _licence(world)
    before = AuditEvent.objects.count()
    Licence.workflow.apply(licence, "suspend", actor=world.xihu_clerk, note="抽检不合格")
    licence.refresh_from_db()
    assert (licence.state, licence.version) == ("suspended", 1)
    entries = timeline(licence)
    assert [(e.transition, e.from_state, e.to_state, e.actor_label, e.note) for e in entries] == [
        ("issue", "", "valid", "system", ""),
        ("suspend", "valid", "suspended", "xihu_clerk", "抽检不合格"),
    ]
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.target_id, event.before, event.after) == (
        "registry.licence.suspend",
        str(licence.pk),
        {"state": "valid"},
        {"state": "suspended"},
    )
    assert event.org_unit_code == "330106"


@pytest.mark.django_db
def test_forbidden_actor_changes_nothing(world):
    licence = _licence(world)
    audit_before, timeline_before = AuditEvent.objects.count(), TimelineEntry.objects.count()
    with pytest.raises(PermissionDenied):
        Licence.workflow.apply(licence, "suspend", actor=world.yiwu_clerk, note="x")
    with pytest.raises(PermissionDenied):
        Licence.workflow.apply(licence, "suspend", actor=world.xihu_viewer, note="x")
    licence.refresh_from_db()
    assert (licence.state, licence.version) == ("valid", 0)
    assert AuditEvent.objects.count() == audit_before
    assert TimelineEntry.objects.count() == timeline_before


@pytest.mark.django_db
def test_invalid_transition_and_missing_note_and_unknown_action(world):
    licence = _licence(world)
    with pytest.raises(ValidationError) as missing:
        Licence.workflow.apply(licence, "suspend", actor=world.xihu_clerk)
    assert missing.value.fields == {"note": ["a reason is required for this action"]}
    with pytest.raises(Conflict) as invalid:
        Licence.workflow.apply(licence, "restore", actor=world.xihu_clerk)
    assert invalid.value.code == "invalid_transition"
    assert invalid.value.details == {"state": "valid", "allowed_from": ["suspended"]}
    with pytest.raises(ValidationError):
        Licence.workflow.apply(licence, "explode", actor=world.xihu_clerk)
    licence.refresh_from_db()
    assert (licence.state, licence.version) == ("valid", 0)


@pytest.mark.django_db
def test_stale_version_is_a_conflict(world):
    licence = _licence(world)
    stale = Licence.objects.get(pk=licence.pk)
    Licence.workflow.apply(licence, "suspend", actor=world.xihu_clerk, note="a")
    with pytest.raises(Conflict) as exc:
        Licence.workflow.apply(stale, "revoke", actor=world.xihu_clerk, note="b")
    assert exc.value.code == "stale_version"
    licence.refresh_from_db()
    assert (licence.state, licence.version) == ("suspended", 1)


@pytest.mark.django_db
def test_a_lost_race_leaves_the_object_and_the_callers_transaction_as_they_were(world):
    licence = _licence(world)
    stale = Licence.objects.get(pk=licence.pk)
    Licence.workflow.apply(licence, "suspend", actor=world.xihu_clerk, note="a")
    with pytest.raises(Conflict):
        Licence.workflow.apply(
            stale, "revoke", actor=world.xihu_clerk, note="b", changes={"valid_to": dt.date(2030, 1, 1)}
        )
    # the stale copy is as it was read (no change applied in memory), and the transaction goes on
    assert (stale.state, stale.version, stale.valid_to) == ("valid", 0, None)
    assert Licence.objects.filter(pk=licence.pk).values_list("state", "valid_to").get() == ("suspended", None)
    assert not TimelineEntry.objects.filter(object_id=str(licence.pk), transition="revoke").exists()


@pytest.mark.django_db
def test_changes_go_into_the_transitions_update(world):
    licence = _licence(world)
    Licence.workflow.apply(
        licence,
        "suspend",
        actor=world.xihu_clerk,
        note="a",
        changes={"org_unit_id": world.xihu.pk, "valid_to": dt.date(2030, 1, 1), "data": {"k": ["v"]}},
    )
    row = Licence.objects.get(pk=licence.pk)
    assert (row.state, row.version, row.org_unit_id, row.valid_to, row.data) == (
        "suspended", 1, world.xihu.pk, dt.date(2030, 1, 1), {"k": ["v"]},
    )  # fmt: skip
    assert (licence.state, licence.version, licence.valid_to) == ("suspended", 1, dt.date(2030, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_have_exactly_one_winner(world):
    licence = _licence(world)
    contenders = 4
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(action: str) -> None:
        copy = Licence.objects.get(pk=licence.pk)  # everyone read version 0
        try:
            barrier.wait()
            Licence.workflow.apply(copy, action, actor=world.xihu_clerk, note=f"by {action}")
            result = f"won:{action}"
        except Conflict as exc:
            result = f"conflict:{exc.code}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=act, args=(a,)) for a in ["suspend", "revoke", "suspend", "revoke"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1, outcomes
    assert sorted(o for o in outcomes if not o.startswith("won:")) == ["conflict:stale_version"] * (
        contenders - 1
    )
    licence.refresh_from_db()
    assert licence.version == 1
    assert licence.state == {"won:suspend": "suspended", "won:revoke": "revoked"}[winners[0]]
    transitions = TimelineEntry.objects.filter(object_type="registry.licence", object_id=str(licence.pk))
    assert sorted(transitions.values_list("transition", flat=True)) == sorted(
        ["issue", winners[0].split(":")[1]]
    )
    assert (
        AuditEvent.objects.filter(action__in=["registry.licence.suspend", "registry.licence.revoke"]).count()
        == 1
    )


@pytest.mark.django_db
def test_trusted_internal_call_records_the_real_actor_via_the_module(world):
    licence = _licence(world)
    # The citizen holds no role: a direct call is refused and changes nothing ...
    with pytest.raises(PermissionDenied):
        Licence.workflow.apply(licence, "suspend", actor=world.citizen, note="x")
    licence.refresh_from_db()
    assert licence.state == "valid"
    # ... but a module's internal entry point acting on the citizen's behalf takes the transition,
    # and the trail names the citizen and the module, not a superuser.
    entry = Licence.workflow.apply(licence, "suspend", actor=world.citizen, note="x", via="services")
    licence.refresh_from_db()
    assert licence.state == "suspended"
    assert (entry.actor_label, entry.data) == ("citizen", {"via": "services"})
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor_id, event.actor_label, event.via) == (
        "registry.licence.suspend",
        world.citizen.pk,
        "citizen",
        "services",
    )
