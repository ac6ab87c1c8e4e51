"""Registry's internal entry points for other modules: a birth registered on a citizen's behalf
(person_register_birth, resident-ID allocation), what an applicant holds (holdings_for), and
scheduled expiry recorded as the system via "registry"."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_resident_id
from zhengtong.core.workflow import TimelineEntry
from zhengtong.registry import selectors, services
from zhengtong.registry.models import LicenceType, Person

BIRTH = dt.date(2025, 9, 1)


@pytest.fixture
def parent(world):
    person = world.person(world.village, name="张三")
    services.citizen_verify_real_name(actor=world.citizen, resident_id=person.resident_id, name="张三")
    world.citizen.refresh_from_db()
    return person


def test_a_birth_enters_the_household_and_names_the_citizen_via_services(world, parent):
    baby = services.person_register_birth(
        actor=world.citizen, parent=parent, name="张小宝", sex="M", birth_date=BIRTH
    )
    stored = Person.objects.get(pk=baby.pk)
    assert (stored.name, stored.sex, stored.birth_date) == ("张小宝", "M", BIRTH)
    assert (stored.org_unit_id, stored.address) == (parent.org_unit_id, parent.address)
    # The household's county, the birth date, the lowest odd (male) sequence number.
    assert stored.resident_id == generate_resident_id("330106", BIRTH, 1)
    event = AuditEvent.objects.get(action="registry.person.create", target_id=str(baby.pk))
    assert (event.actor_id, event.via) == (world.citizen.pk, "services")
    assert event.after["parent"] == parent.pk


def test_a_birth_is_registered_once_and_a_sister_gets_the_next_even_number(world, parent):
    boy = services.person_register_birth(
        actor=world.citizen, parent=parent, name="张小宝", sex="M", birth_date=BIRTH
    )
    count, events = Person.objects.count(), AuditEvent.objects.count()
    again = services.person_register_birth(
        actor=world.citizen, parent=parent, name="张小宝", sex="M", birth_date=BIRTH
    )
    assert again.pk == boy.pk
    assert (Person.objects.count(), AuditEvent.objects.count()) == (count, events)
    girl = services.person_register_birth(
        actor=world.citizen, parent=parent, name="张小贝", sex="F", birth_date=BIRTH
    )
    assert girl.resident_id == generate_resident_id("330106", BIRTH, 2)
    assert services.resident_id_allocate(region="330106", birth_date=BIRTH, sex="M") == (
        generate_resident_id("330106", BIRTH, 3)
    )


def test_only_the_parent_registers_a_birth_into_their_household(world, parent):
    other = world.person(world.yiwu, name="王五", seq=31, birth=dt.date(1988, 1, 2))
    count, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_register_birth(
            actor=world.citizen, parent=other, name="王小宝", sex="M", birth_date=BIRTH
        )
    with pytest.raises(PermissionDenied):  # a staff member is not the parent either
        services.person_register_birth(
            actor=world.xihu_clerk, parent=parent, name="张小宝", sex="M", birth_date=BIRTH
        )
    assert (Person.objects.count(), AuditEvent.objects.count()) == (count, events)


def test_a_birth_needs_a_living_parent_and_valid_fields(world, parent):
    count = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.person_register_birth(
            actor=world.citizen, parent=parent, name=" ", sex="M", birth_date=BIRTH
        )
    assert exc.value.fields == {"name": ["is required"]}
    with pytest.raises(ValidationError) as exc:
        services.person_register_birth(
            actor=world.citizen, parent=parent, name="张小宝", sex="X", birth_date=BIRTH
        )
    assert list(exc.value.fields) == ["sex"]
    Person.objects.filter(pk=parent.pk).update(is_alive=False)
    with pytest.raises(ValidationError) as exc:
        services.person_register_birth(
            actor=world.citizen, parent=parent, name="张小宝", sex="M", birth_date=BIRTH
        )
    assert list(exc.value.fields) == ["parent"]
    assert Person.objects.count() == count


def test_holdings_are_the_users_records_and_valid_licences(world, parent, django_assert_max_num_queries):
    lt = LicenceType.objects.create(code="id_card", name="居民身份证", holder_kind="person")
    licence = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="ID-1",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2020, 1, 1),
        holder_person=parent,
    )
    with django_assert_max_num_queries(1):
        held = selectors.holdings_for(world.citizen)
        assert held.person.pk == parent.pk and held.person.name == "张三"
    assert (held.entity, list(held.licences), held.licences["id_card"].pk) == (None, ["id_card"], licence.pk)
    services.licence_suspend(actor=world.xihu_clerk, licence=licence, note="挂失")
    held = selectors.holdings_for(world.citizen)
    assert (held.person.pk, held.licences) == (parent.pk, {})  # the record, without the suspended licence
    assert selectors.holdings_for(world.xihu_clerk) == selectors.Holdings()


def test_scheduled_expiry_is_recorded_as_the_system_via_registry(world, parent):
    lt = LicenceType.objects.create(code="dl", name="机动车驾驶证", holder_kind="person")
    old = services.licence_issue(
        actor=world.system,
        licence_type=lt,
        number="A1",
        issuing_department=world.xihu_gaj,
        valid_from=dt.date(2010, 1, 1),
        valid_to=dt.date(2016, 1, 1),
        holder_person=parent,
    )
    assert services.licences_expire_due(on=dt.date(2026, 1, 1)) == 1
    event = AuditEvent.objects.get(action="registry.licence.expire", target_id=str(old.pk))
    assert (event.actor_id, event.via) == (None, "registry")
    entry = TimelineEntry.objects.filter(object_type="registry.licence", object_id=str(old.pk)).latest("id")
    assert (entry.actor_id, entry.actor_label, entry.data) == (None, "system", {"via": "registry"})
