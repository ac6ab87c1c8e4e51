"""record_values: one record's named fields by its key, typed as the model's, with its org unit
(the sharing module's 核验 reads registries through it)."""

from __future__ import annotations

import datetime as dt

from zhengtong.core.identifiers import make_org_code, make_uscc
from zhengtong.registry import selectors, services


def test_a_person_is_read_by_resident_id_with_typed_values_and_org_unit(world):
    person = world.person(world.village, name="张三", birth=dt.date(1985, 6, 15))
    values = selectors.record_values("person", person.resident_id, ["name", "birth_date", "resident_id"])
    assert values == {
        "name": "张三",
        "birth_date": dt.date(1985, 6, 15),
        "resident_id": person.resident_id,
        "org_unit__code": world.village.code,
        "org_unit__path": world.village.path,
    }
    # the same statement again, another field list, and an unknown key
    assert selectors.record_values("person", person.resident_id, ["name"])["name"] == "张三"
    assert selectors.record_values("person", person.resident_id[:-1] + "0", ["name"]) is None


def test_only_active_legal_entities_are_read(world):
    uscc = make_uscc("9", "1", world.xihu.code[:6], make_org_code("T0000001"))
    entity = services.legal_entity_create(
        actor=world.system, org_unit=world.xihu, uscc=uscc, name="测试餐饮有限公司",
        entity_type="有限责任公司", legal_representative="李四", registered_address="西湖区某路1号",
    )  # fmt: skip
    assert selectors.record_values("entity", uscc, ["name", "uscc"]) == {
        "name": "测试餐饮有限公司",
        "uscc": uscc,
        "org_unit__code": world.xihu.code,
        "org_unit__path": world.xihu.path,
    }
    services.legal_entity_update(actor=world.system, entity=entity, status="deregistered")
    assert selectors.record_values("entity", uscc, ["name"]) is None
