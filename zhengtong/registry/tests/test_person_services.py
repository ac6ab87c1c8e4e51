"""person_create / person_update: validation from the resident ID, permissions, the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_resident_id, resident_id_check_char
from zhengtong.core.masking import pseudonymize
from zhengtong.registry import services
from zhengtong.registry.models import Person

GOOD_ID = generate_resident_id("330106", dt.date(1990, 3, 7), 24)  # even sequence: female


def wrong_check_char(resident_id: str) -> tuple[str, str]:
    """The ID with a wrong last character, and the character it should have."""
    expected = resident_id_check_char(resident_id[:17])
    wrong = "1" if expected != "1" else "2"
    return resident_id[:17] + wrong, expected


def snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


def test_create_derives_sex_and_birth_date_and_normalises(world):
    person = services.person_create(
        actor=world.xihu_clerk,
        org_unit=world.village,
        resident_id=f" {GOOD_ID.lower()} ",
        name="  李梅 ",
        phone="13912345678",
        address=" 北山街道1号 ",
        ethnicity="汉族",
    )
    stored = Person.objects.get(pk=person.pk)
    assert stored.resident_id == GOOD_ID
    assert (stored.name, stored.sex, stored.birth_date) == ("李梅", "F", dt.date(1990, 3, 7))
    assert (stored.phone, stored.address, stored.ethnicity) == ("13912345678", "北山街道1号", "汉族")
    assert stored.org_unit == world.village
    assert stored.is_alive is True


def test_create_writes_one_audit_event_without_clear_identifiers(world):
    events = AuditEvent.objects.count()
    person = services.person_create(
        actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="李梅", phone="13912345678"
    )
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "registry.person.create"
    assert event.target_id == str(person.pk)
    assert event.after["resident_id"] == {
        "masked": GOOD_ID[:6] + "********" + GOOD_ID[-4:],
        "pseudonym": pseudonymize(GOOD_ID, purpose="resident_id"),
    }
    assert event.after["phone"]["masked"] == "139****5678"
    assert GOOD_ID not in str(event.after) and GOOD_ID not in event.target_label


def test_wrong_check_character_is_rejected_naming_the_expected_one(world):
    bad, expected = wrong_check_char(GOOD_ID)
    count, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=world.xihu_clerk, org_unit=world.village, resident_id=bad, name="李梅")
    assert exc.value.code == "invalid_identifier"
    assert exc.value.fields == {"resident_id": [f"check character should be {expected}, not {bad[-1]}"]}
    assert Person.objects.count() == count
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("resident_id", "message"),
    [
        ("", "value is empty"),
        ("33010619900307", "must be 18 characters long, not 14"),
        (
            "33010619900307A24X",
            "character 'A' at position 15 is not allowed: only digits 0-9 are allowed here",
        ),
    ],
)
def test_malformed_resident_ids_are_rejected(world, resident_id, message):
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            actor=world.xihu_clerk, org_unit=world.village, resident_id=resident_id, name="李梅"
        )
    assert exc.value.fields == {"resident_id": [message]}
    assert Person.objects.count() == 0


def test_sex_and_birth_date_must_agree_with_the_id(world):
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="李梅", sex="M"
        )
    assert exc.value.fields == {"sex": ["does not match the resident ID number (F)"]}
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            actor=world.xihu_clerk,
            org_unit=world.village,
            resident_id=GOOD_ID,
            name="李梅",
            birth_date="1990-03-08",
        )
    assert exc.value.fields == {"birth_date": ["does not match the resident ID number (1990-03-07)"]}
    # The Chinese form of the sex is accepted when it agrees.
    person = services.person_create(
        actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="李梅", sex="女"
    )
    assert person.sex == "F"


def test_name_is_required_and_phone_is_checked(world):
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="  ")
    assert exc.value.fields == {"name": ["is required"]}
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="李梅", phone="12345"
        )
    assert list(exc.value.fields) == ["phone"]
    assert Person.objects.count() == 0


def test_duplicate_resident_id_is_a_conflict(world):
    world.person(world.village, birth=dt.date(1990, 3, 7), seq=24)
    with pytest.raises(Conflict) as exc:
        services.person_create(
            actor=world.xihu_clerk, org_unit=world.village, resident_id=GOOD_ID, name="另一人"
        )
    assert exc.value.code == "duplicate"
    assert Person.objects.count() == 1


def test_update_changes_the_named_fields_and_records_before_and_after(world):
    person = world.person(world.village, name="张三", phone="13912345678")
    events = AuditEvent.objects.count()
    services.person_update(actor=world.xihu_clerk, person=person, name=" 张叁 ", is_alive=False)
    stored = Person.objects.get(pk=person.pk)
    assert (stored.name, stored.is_alive, stored.phone) == ("张叁", False, "13912345678")
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "registry.person.update"
    assert event.before == {"name": "张三", "is_alive": True}
    assert event.after == {"name": "张叁", "is_alive": False}


def test_update_refuses_identity_fields_and_bad_values(world):
    person = world.person(world.village)
    before, events = snapshot(person), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=world.xihu_clerk, person=person, resident_id=GOOD_ID, sex="F")
    assert exc.value.fields == {"resident_id": ["cannot be changed here"], "sex": ["cannot be changed here"]}
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=world.xihu_clerk, person=person, phone="0571-1234")
    assert list(exc.value.fields) == ["phone"]
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=world.xihu_clerk, person=person, name="")
    assert exc.value.fields == {"name": ["is required"]}
    assert snapshot(person) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["xihu_viewer", "auditor", "xihu_auditor", "citizen", "yiwu_clerk"])
def test_users_without_registry_change_here_cannot_create(world, who):
    count, events = Person.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_create(
            actor=getattr(world, who), org_unit=world.village, resident_id=GOOD_ID, name="李梅"
        )
    assert Person.objects.count() == count
    assert AuditEvent.objects.count() == events


def test_anonymous_cannot_create(world):
    from django.contrib.auth.models import AnonymousUser

    from zhengtong.core.errors import AuthenticationRequired

    with pytest.raises(AuthenticationRequired):
        services.person_create(
            actor=AnonymousUser(), org_unit=world.village, resident_id=GOOD_ID, name="李梅"
        )
    assert Person.objects.count() == 0
