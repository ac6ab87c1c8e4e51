"""legal_entity_create / legal_entity_update: USCC check (GB 32100), field rules, permissions."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.identifiers import generate_resident_id, generate_uscc, uscc_check_char
from zhengtong.registry import services
from zhengtong.registry.models import LegalEntity

USCC = generate_uscc("91330106MA27XL8T0")


def entity_data(**overrides):
    data = {
        "uscc": USCC,
        "name": "杭州西湖茶叶有限公司",
        "entity_type": "有限责任公司",
        "legal_representative": "张三",
        "registered_address": "杭州市西湖区龙井路1号",
    }
    return data | overrides


def snapshot(obj) -> dict:
    fresh = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(fresh, f.attname) for f in obj._meta.concrete_fields}


def test_create_stores_the_cleaned_fields(world):
    rep_id = generate_resident_id("330106", dt.date(1970, 1, 2), 31)
    entity = services.legal_entity_create(
        actor=world.xihu_clerk,
        org_unit=world.xihu,
        **entity_data(
            uscc=USCC.lower(),
            established_on="2015-06-01",
            registered_capital_fen=100_000_000,
            legal_rep_resident_id=rep_id.lower(),
        ),
    )
    stored = LegalEntity.objects.get(pk=entity.pk)
    assert stored.uscc == USCC
    assert (stored.region_code, stored.org_unit) == ("330106", world.xihu)
    assert stored.established_on == dt.date(2015, 6, 1)
    assert stored.registered_capital_fen == 100_000_000
    assert stored.legal_rep_resident_id == rep_id
    assert stored.status == "active"
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "registry.legal_entity.create"
    assert rep_id not in str(event.after)


def test_wrong_uscc_check_character_names_the_expected_one(world):
    expected = uscc_check_char(USCC[:17])
    wrong = "0" if expected != "0" else "1"
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(
            actor=world.xihu_clerk, org_unit=world.xihu, **entity_data(uscc=USCC[:17] + wrong)
        )
    assert exc.value.code == "invalid_identifier"
    assert exc.value.fields == {"uscc": [f"check character should be {expected}, not {wrong}"]}
    assert LegalEntity.objects.count() == 0
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "is required"),
        ({"entity_type": "x" * 61}, "entity_type", "at most 60 characters"),
        ({"status": "bankrupt"}, "status", "must be one of active, revoked, deregistered"),
        ({"established_on": "2015-13-01"}, "established_on", "must be a date YYYY-MM-DD"),
        (
            {"registered_capital_fen": 12.5},
            "registered_capital_fen",
            "must be a whole, non-negative amount in fen",
        ),
        (
            {"registered_capital_fen": -1},
            "registered_capital_fen",
            "must be a whole, non-negative amount in fen",
        ),
        ({"uscc": "S1330106MA27XL8T0X"}, "uscc", None),
    ],
)
def test_field_rules(world, overrides, field, message):
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data(**overrides))
    assert list(exc.value.fields) == [field]
    if message is not None:
        assert exc.value.fields[field] == [message]
    assert LegalEntity.objects.count() == 0


def test_representative_id_is_checked(world):
    rep_id = generate_resident_id("330106", dt.date(1970, 1, 2), 31)
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_create(
            actor=world.xihu_clerk, org_unit=world.xihu, **entity_data(legal_rep_resident_id=rep_id[:17])
        )
    assert exc.value.fields == {"legal_rep_resident_id": ["must be 18 characters long, not 17"]}


def test_duplicate_uscc_is_a_conflict(world):
    services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data())
    with pytest.raises(Conflict) as exc:
        services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data(name="别的"))
    assert exc.value.code == "duplicate"
    assert LegalEntity.objects.count() == 1


def test_update_changes_fields_and_audits(world):
    entity = services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data())
    services.legal_entity_update(
        actor=world.xihu_clerk, entity=entity, status="deregistered", registered_address="新地址8号"
    )
    stored = LegalEntity.objects.get(pk=entity.pk)
    assert (stored.status, stored.registered_address) == ("deregistered", "新地址8号")
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "registry.legal_entity.update"
    assert event.before == {"status": "active", "registered_address": "杭州市西湖区龙井路1号"}
    assert event.after == {"status": "deregistered", "registered_address": "新地址8号"}


def test_update_refuses_the_key_and_bad_values(world):
    entity = services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data())
    before, events = snapshot(entity), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.legal_entity_update(actor=world.xihu_clerk, entity=entity, uscc=USCC, region_code="330782")
    assert exc.value.fields == {"region_code": ["cannot be changed here"], "uscc": ["cannot be changed here"]}
    with pytest.raises(ValidationError):
        services.legal_entity_update(actor=world.xihu_clerk, entity=entity, status="gone")
    assert snapshot(entity) == before
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["yiwu_clerk", "xihu_viewer", "auditor"])
def test_others_cannot_create_or_update(world, who):
    entity = services.legal_entity_create(actor=world.xihu_clerk, org_unit=world.xihu, **entity_data())
    before, events = snapshot(entity), AuditEvent.objects.count()
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        services.legal_entity_update(actor=actor, entity=entity, name="改名")
    with pytest.raises(PermissionDenied):
        services.legal_entity_create(
            actor=actor, org_unit=world.xihu, **entity_data(uscc=generate_uscc("91330106MA27XL8T1"))
        )
    assert snapshot(entity) == before
    assert LegalEntity.objects.count() == 1
    assert AuditEvent.objects.count() == events
