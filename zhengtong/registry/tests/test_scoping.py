"""Acceptance check of registry scoping: a county's staff neither read nor change another county's records.

Every denied attempt is checked twice: the caller gets the documented error, and the database
(the record itself and the audit trail) is exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.identifiers import generate_uscc
from zhengtong.registry import selectors, services
from zhengtong.registry.models import LegalEntity, Licence, Person

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def snapshot(obj) -> dict:
    """Every stored column of ``obj``, re-read from the database."""
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


def api_client(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def xihu_records(world):
    """A person, a legal entity and an e-licence registered in 西湖区."""
    person = world.person(world.village, name="张三")
    entity = services.legal_entity_create(
        actor=world.system,
        org_unit=world.xihu,
        uscc=generate_uscc("91330106MA27XL8T0"),
        name="杭州西湖茶叶有限公司",
        entity_type="有限责任公司",
        legal_representative="张三",
        registered_address="杭州市西湖区龙井路1号",
    )
    lt = services.licence_type_create(
        actor=world.system, code="resident_permit", name="居住证", holder_kind="person"
    )
    licence = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="XH-0001",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2024, 1, 1),
        holder_person=person,
    )
    return person, entity, licence


# --- selectors: reads ---------------------------------------------------------------------


def test_other_county_clerk_cannot_read_person_entity_or_licence(world, xihu_records):
    person, entity, licence = xihu_records
    with pytest.raises(NotFound) as exc:
        selectors.person_get_for(world.yiwu_clerk, person.pk)
    assert exc.value.message == f"no person record {person.pk} in your scope"
    with pytest.raises(NotFound):
        selectors.legal_entity_get_for(world.yiwu_clerk, entity.pk)
    with pytest.raises(NotFound):
        selectors.licence_get_for(world.yiwu_clerk, licence.pk)
    assert list(selectors.persons_for(world.yiwu_clerk)) == []
    assert list(selectors.legal_entities_for(world.yiwu_clerk)) == []
    assert list(selectors.licences_for(world.yiwu_clerk)) == []


def test_lists_hold_exactly_the_records_of_the_own_county(world, xihu_records):
    xihu_person = xihu_records[0]
    yiwu_person = world.person(world.yiwu, name="李四", seq=13)
    assert list(selectors.persons_for(world.xihu_clerk)) == [xihu_person]
    assert list(selectors.persons_for(world.yiwu_clerk)) == [yiwu_person]
    # Searching by the full ID of a record outside the scope finds nothing either.
    assert list(selectors.persons_for(world.yiwu_clerk, q=xihu_person.resident_id)) == []
    assert list(selectors.persons_for(world.xihu_clerk, q=xihu_person.resident_id)) == [xihu_person]


def test_province_auditor_without_registry_view_sees_no_records(world, xihu_records):
    assert list(selectors.persons_for(world.auditor)) == []
    assert list(selectors.legal_entities_for(world.auditor)) == []
    assert list(selectors.licences_for(world.auditor)) == []
    with pytest.raises(NotFound):
        selectors.person_get_for(world.auditor, xihu_records[0].pk)


def test_viewer_reads_records_of_the_county(world, xihu_records):
    person, entity, licence = xihu_records
    assert selectors.person_get_for(world.xihu_viewer, person.pk) == person
    assert selectors.legal_entity_get_for(world.xihu_viewer, entity.pk) == entity
    assert selectors.licence_get_for(world.xihu_viewer, licence.pk) == licence


# --- services: writes -----------------------------------------------------------------------


def test_other_county_clerk_cannot_change_person(world, xihu_records):
    person = xihu_records[0]
    before, events = snapshot(person), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.person_update(actor=world.yiwu_clerk, person=person, name="王五", address="义乌")
    assert exc.value.code == "permission_denied"
    assert exc.value.message == "you do not have the permission “registry.change” (栖霞岭社区)"
    assert snapshot(person) == before
    assert AuditEvent.objects.count() == events


def test_other_county_clerk_cannot_change_legal_entity(world, xihu_records):
    entity = xihu_records[1]
    before, events = snapshot(entity), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.legal_entity_update(actor=world.yiwu_clerk, entity=entity, status="revoked")
    assert snapshot(entity) == before
    assert AuditEvent.objects.count() == events


def test_other_county_clerk_cannot_suspend_licence(world, xihu_records):
    licence = xihu_records[2]
    before, events = snapshot(licence), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as exc:
        services.licence_suspend(actor=world.yiwu_clerk, licence=licence, note="test")
    assert exc.value.message == "you may not “Suspend licence” this item"
    assert snapshot(licence) == before
    assert AuditEvent.objects.count() == events


def test_other_county_clerk_cannot_create_in_foreign_county(world):
    from zhengtong.core.identifiers import generate_resident_id

    people, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_create(
            actor=world.yiwu_clerk,
            org_unit=world.xihu,
            resident_id=generate_resident_id("330106", dt.date(1990, 1, 1), 21),
            name="赵六",
        )
    assert Person.objects.count() == people
    assert AuditEvent.objects.count() == events


def test_viewer_cannot_change(world, xihu_records):
    person, entity, licence = xihu_records
    snapshots = [snapshot(person), snapshot(entity), snapshot(licence)]
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_update(actor=world.xihu_viewer, person=person, phone="13800001111")
    with pytest.raises(PermissionDenied):
        services.legal_entity_update(actor=world.xihu_viewer, entity=entity, name="改名")
    with pytest.raises(PermissionDenied):
        services.licence_revoke(actor=world.xihu_viewer, licence=licence, note="x")
    assert [snapshot(person), snapshot(entity), snapshot(licence)] == snapshots
    assert AuditEvent.objects.count() == events


def test_clerk_in_scope_can_change_and_it_is_audited(world, xihu_records):
    person = xihu_records[0]
    events = AuditEvent.objects.count()
    services.person_update(actor=world.xihu_clerk, person=person, address="北山街道2号")
    assert Person.objects.get(pk=person.pk).address == "北山街道2号"
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor_label, event.org_unit_code) == (
        "registry.person.update",
        "xihu_clerk",
        "330106002001",
    )
    assert event.before == {"address": "栖霞岭社区1号"}
    assert event.after == {"address": "北山街道2号"}


# --- the same through the API -------------------------------------------------------------------


def test_api_get_of_other_county_person_is_404(world, xihu_records):
    person, entity, licence = xihu_records
    client = api_client(world.yiwu_clerk)
    response = client.get(f"/api/v1/registry/persons/{person.pk}")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": f"no person record {person.pk} in your scope",
            "details": {},
        }
    }
    assert client.get(f"/api/v1/registry/legal-entities/{entity.pk}").status_code == 404
    assert client.get(f"/api/v1/registry/licences/{licence.pk}").status_code == 404
    assert client.get(f"/api/v1/registry/licences/{licence.pk}/timeline").status_code == 404


def test_api_lists_exclude_other_county(world, xihu_records):
    yiwu_person = world.person(world.yiwu, name="李四", seq=13)
    client = api_client(world.yiwu_clerk)
    body = client.get("/api/v1/registry/persons").json()
    assert [item["id"] for item in body["items"]] == [yiwu_person.pk]
    assert body["next"] is None
    assert client.get("/api/v1/registry/legal-entities").json() == {"items": [], "next": None}
    assert client.get("/api/v1/registry/licences").json() == {"items": [], "next": None}


def test_api_patch_of_other_county_person_is_404_and_changes_nothing(world, xihu_records):
    person = xihu_records[0]
    before, events = snapshot(person), AuditEvent.objects.count()
    response = api_client(world.yiwu_clerk).patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({"name": "王五", "phone": "13800001111"}),
        content_type="application/json",
    )
    # Outside the caller's scope the record does not exist for them: 404, as for GET.
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["message"] == f"no person record {person.pk} in your scope"
    assert snapshot(person) == before
    assert AuditEvent.objects.count() == events


def test_api_patch_by_viewer_in_scope_is_403_and_changes_nothing(world, xihu_records):
    person = xihu_records[0]
    before, events = snapshot(person), AuditEvent.objects.count()
    response = api_client(world.xihu_viewer).patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({"name": "王五"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["message"] == "you do not have the permission “registry.change” (栖霞岭社区)"
    assert snapshot(person) == before
    assert AuditEvent.objects.count() == events


def test_api_licence_transition_of_other_county_is_refused_and_changes_nothing(world, xihu_records):
    licence = xihu_records[2]
    before, events = snapshot(licence), AuditEvent.objects.count()
    response = api_client(world.yiwu_clerk).post(
        f"/api/v1/registry/licences/{licence.pk}/transitions",
        data=json.dumps({"action": "revoke", "note": "x", "version": 0}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert snapshot(licence) == before
    assert AuditEvent.objects.count() == events


def test_api_province_auditor_gets_empty_list(world, xihu_records):
    client = api_client(world.auditor)
    assert client.get("/api/v1/registry/persons").json() == {"items": [], "next": None}
    assert client.get(f"/api/v1/registry/persons/{xihu_records[0].pk}").status_code == 404


def test_api_viewer_reads_but_cannot_patch(world, xihu_records):
    person = xihu_records[0]
    client = api_client(world.xihu_viewer)
    response = client.get(f"/api/v1/registry/persons/{person.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "张三"
    before, events = snapshot(person), AuditEvent.objects.count()
    response = client.patch(
        f"/api/v1/registry/persons/{person.pk}",
        data=json.dumps({"address": "别处"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert snapshot(person) == before
    assert AuditEvent.objects.count() == events


def test_records_stay_unchanged_in_counts(world, xihu_records):
    # Sanity check for the fixture the tests above rely on: one of each.
    assert (Person.objects.count(), LegalEntity.objects.count(), Licence.objects.count()) == (1, 1, 1)
