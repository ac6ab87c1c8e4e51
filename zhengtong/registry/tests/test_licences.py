"""E-licences: issuing (department-limited grants) and the lifecycle valid ⇄ suspended → revoked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_uscc
from zhengtong.core.models import TimelineEntry
from zhengtong.registry import services
from zhengtong.registry.models import Licence, LicenceType

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


@pytest.fixture
def setup(world):
    person = world.person(world.village)
    person_type = services.licence_type_create(
        actor=world.system, code="resident_permit", name="居住证", holder_kind="person"
    )
    entity_type = services.licence_type_create(
        actor=world.system, code="business_licence", name="营业执照", holder_kind="entity"
    )
    entity = services.legal_entity_create(
        actor=world.system,
        org_unit=world.xihu,
        uscc=generate_uscc("91330106MA27XL8T0"),
        name="杭州西湖茶叶有限公司",
        entity_type="有限责任公司",
        legal_representative="张三",
        registered_address="杭州市西湖区龙井路1号",
    )
    return person, person_type, entity, entity_type


def issue(world, person, person_type, number="XH-0001", actor=None, department=None):
    return services.licence_issue(
        actor=actor or world.xihu_clerk,
        licence_type=person_type,
        number=number,
        issuing_department=department or world.xihu_gaj,
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2029, 12, 31),
        holder_person=person,
    )


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def post_transition(client, licence, **payload):
    return client.post(
        f"/api/v1/registry/licences/{licence.pk}/transitions",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_issue_creates_a_valid_licence_and_audits(world, setup):
    person, person_type, _entity, _entity_type = setup
    events = AuditEvent.objects.count()
    licence = issue(world, person, person_type)
    stored = Licence.objects.get(pk=licence.pk)
    assert (stored.state, stored.version, stored.number) == ("valid", 0, "XH-0001")
    assert (stored.org_unit, stored.issuing_department, stored.holder_person) == (
        world.xihu,
        world.xihu_gaj,
        person,
    )
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.after) == (
        "registry.licence.issue",
        {"type": "resident_permit", "number": "XH-0001", "holder": person.pk},
    )


def test_department_limited_clerk_cannot_issue_for_another_department(world, setup):
    person, person_type, _entity, _entity_type = setup
    events = AuditEvent.objects.count()
    # xihu_clerk's grant is limited to 西湖区公安分局; the market regulator is another department.
    with pytest.raises(PermissionDenied):
        issue(world, person, person_type, department=world.xihu_scjg)
    with pytest.raises(PermissionDenied):
        issue(world, person, person_type, actor=world.yiwu_clerk)
    assert Licence.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_issue_rules(world, setup):
    person, person_type, entity, entity_type = setup
    with pytest.raises(ValidationError) as exc:
        services.licence_issue(
            actor=world.xihu_clerk,
            licence_type=entity_type,
            number="E-1",
            issuing_department=world.xihu_gaj,
            valid_from=dt.date(2024, 1, 1),
            holder_person=person,
        )
    assert exc.value.fields == {"holder": ["a entity licence needs exactly one holder of that kind"]}
    with pytest.raises(ValidationError) as exc:
        services.licence_issue(
            actor=world.xihu_clerk,
            licence_type=person_type,
            number="P-1",
            issuing_department=world.xihu_gaj,
            valid_from=dt.date(2024, 1, 1),
            holder_person=person,
            holder_entity=entity,
        )
    assert list(exc.value.fields) == ["holder"]
    with pytest.raises(ValidationError) as exc:
        services.licence_issue(
            actor=world.xihu_clerk,
            licence_type=person_type,
            number="P-1",
            issuing_department=world.xihu_gaj,
            valid_from=dt.date(2024, 1, 2),
            valid_to=dt.date(2024, 1, 1),
            holder_person=person,
        )
    assert exc.value.fields == {"valid_to": ["must not be before valid_from"]}
    assert Licence.objects.count() == 0
    issue(world, person, person_type, number="P-1")
    with pytest.raises(Conflict) as exc:
        issue(world, person, person_type, number="P-1")
    assert exc.value.code == "duplicate"
    assert Licence.objects.count() == 1


def test_lifecycle_through_the_api(world, setup):
    licence = issue(world, setup[0], setup[1])
    client = api(world.xihu_clerk)

    response = post_transition(client, licence, action="suspend", version=0)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {"note": ["a reason is required for this action"]}
    assert snapshot(licence)["state"] == "valid"

    response = post_transition(client, licence, action="suspend", note="资料核查", version=0)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("suspended", 1)

    response = post_transition(client, licence, action="restore", version=1)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("valid", 2)

    response = post_transition(client, licence, action="revoke", note="证件作废", version=2)
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == ("revoked", 3)

    before, events = snapshot(licence), AuditEvent.objects.count()
    response = post_transition(client, licence, action="restore", version=3)
    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "invalid_transition",
        "message": "cannot “Restore licence” in state “revoked”",
        "details": {"state": "revoked", "allowed_from": ["suspended"]},
    }
    assert snapshot(licence) == before
    assert AuditEvent.objects.count() == events

    timeline = client.get(f"/api/v1/registry/licences/{licence.pk}/timeline").json()
    assert [(t["transition"], t["from_state"], t["to_state"], t["note"]) for t in timeline] == [
        ("issue", "", "valid", ""),
        ("suspend", "valid", "suspended", "资料核查"),
        ("restore", "suspended", "valid", ""),
        ("revoke", "valid", "revoked", "证件作废"),
    ]
    assert list(
        AuditEvent.objects.filter(target_type="registry.licence")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "registry.licence.issue",
        "registry.licence.suspend",
        "registry.licence.restore",
        "registry.licence.revoke",
    ]


def test_stale_version_is_a_conflict_and_changes_nothing(world, setup):
    licence = issue(world, setup[0], setup[1])
    client = api(world.xihu_clerk)
    assert post_transition(client, licence, action="suspend", note="a", version=0).status_code == 200
    before, events = snapshot(licence), AuditEvent.objects.count()
    # Someone still looking at version 0 tries to revoke.
    response = post_transition(client, licence, action="revoke", note="b", version=0)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    assert response.json()["error"]["details"] == {"expected_version": 0}
    assert snapshot(licence) == before
    assert AuditEvent.objects.count() == events
    # The issue entry and the one suspension: the stale revoke left nothing.
    assert list(
        TimelineEntry.objects.filter(object_type="registry.licence").values_list("transition", flat=True)
    ) == [
        "issue",
        "suspend",
    ]


def test_unknown_action_is_a_validation_error(world, setup):
    licence = issue(world, setup[0], setup[1])
    response = post_transition(api(world.xihu_clerk), licence, action="burn", version=0)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"] == {"transition": ["unknown action “burn”"]}
    assert snapshot(licence)["state"] == "valid"


def test_viewer_sees_the_licence_but_cannot_change_it(world, setup):
    licence = issue(world, setup[0], setup[1])
    client = api(world.xihu_viewer)
    response = client.get(f"/api/v1/registry/licences/{licence.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["licence_type"], body["number"], body["state"], body["org_unit"]) == (
        "resident_permit",
        "XH-0001",
        "valid",
        "330106",
    )
    before, events = snapshot(licence), AuditEvent.objects.count()
    response = post_transition(client, licence, action="suspend", note="x", version=0)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert snapshot(licence) == before
    assert AuditEvent.objects.count() == events


def test_other_department_clerk_in_the_same_county_cannot_suspend(world, setup):
    licence = issue(world, setup[0], setup[1])
    scjg_clerk = world.staff("xihu_scjg_clerk", "registry_clerk", world.xihu, world.xihu_scjg)
    before = snapshot(licence)
    with pytest.raises(PermissionDenied):
        services.licence_suspend(actor=scjg_clerk, licence=licence, note="x")
    assert snapshot(licence) == before
    assert Licence.workflow.available(licence, scjg_clerk) == []
    assert [t.name for t in Licence.workflow.available(licence, world.xihu_clerk)] == [
        "suspend",
        "revoke",
        "expire",
    ]


def test_holder_sees_own_licences(world, setup):
    person, person_type, _e, _et = setup
    licence = issue(world, person, person_type)
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name=person.name)
    client = api(world.citizen)
    body = client.get("/api/v1/registry/my/licences").json()
    assert [item["id"] for item in body] == [licence.pk]
    # A citizen is no registry clerk: the staff list is empty for them.
    assert client.get("/api/v1/registry/licences").json() == {"items": [], "next": None}


def test_expired_licences_are_moved_to_expired_through_the_workflow(world):
    from zhengtong.registry.services import licences_expire_due

    lt = LicenceType.objects.create(code="dl", name="机动车驾驶证", holder_kind="person")
    person = world.person()
    old = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="A1",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2010, 1, 1),
        valid_to=dt.date(2016, 1, 1),
        holder_person=person,
    )
    current = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="A2",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2030, 1, 1),
        holder_person=person,
    )
    assert licences_expire_due(on=dt.date(2026, 1, 1)) == 1
    old.refresh_from_db()
    current.refresh_from_db()
    assert (old.state, current.state) == ("expired", "valid")
    assert TimelineEntry.objects.filter(object_type="registry.licence", object_id=str(old.pk)).latest(
        "id"
    ).note == ("validity ended on 2016-01-01")
    assert licences_expire_due(on=dt.date(2026, 1, 1)) == 0


def test_licence_types_are_decided_at_the_top_of_the_tree(world):
    with pytest.raises(PermissionDenied):
        services.licence_type_create(actor=world.xihu_clerk, code="x", name="x", holder_kind="person")
    assert not LicenceType.objects.filter(code="x").exists()
    assert (
        services.licence_type_create(actor=world.system, code="x", name="x", holder_kind="person").code == "x"
    )
