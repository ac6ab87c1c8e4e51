"""CSV import into the registries: every encoding we promise, all or nothing, exact error reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import ValidationError
from zhengtong.core.identifiers import generate_resident_id, generate_uscc, resident_id_check_char
from zhengtong.registry.importers import RowError, registry_import
from zhengtong.registry.models import LegalEntity, Licence, Person

HEADER = "身份证号,姓名,手机号,住址,行政区划代码"
ID_A = generate_resident_id("330106", dt.date(1980, 1, 1), 11)
ID_B = generate_resident_id("330106", dt.date(1981, 2, 2), 12)
ID_C = generate_resident_id("330106", dt.date(1982, 3, 3), 13)
ID_Y = generate_resident_id("330782", dt.date(1983, 4, 4), 15)


def bad_check(resident_id: str) -> tuple[str, str]:
    expected = resident_id_check_char(resident_id[:17])
    return resident_id[:17] + ("1" if expected != "1" else "2"), expected


def csv_text(*lines: str) -> str:
    return "\r\n".join(lines) + "\r\n"


GOOD = csv_text(
    HEADER,
    f"{ID_A},张三,13912345678,北山街道1号,330106002001",
    f"{ID_B},李四,,西湖区2号,330106",
    f'{ID_C},王五,13812345678,"杭州市西湖区,3号",330106002',
)


def import_persons(actor, text_or_bytes, encoding="utf-8"):
    raw = text_or_bytes if isinstance(text_or_bytes, bytes) else text_or_bytes.encode(encoding)
    return registry_import(actor=actor, kind="persons", raw=raw, filename="persons.csv")


@pytest.mark.parametrize(
    ("encoding", "reported"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gbk", "gb18030")]
)
def test_good_file_imports_every_row_in_each_encoding(world, encoding, reported):
    events = AuditEvent.objects.count()
    report = import_persons(world.xihu_clerk, GOOD, encoding)
    assert report.errors == []
    assert (report.committed, report.encoding, report.rows, report.created, report.updated) == (
        True,
        reported,
        3,
        3,
        0,
    )
    people = {p.resident_id: p for p in Person.objects.select_related("org_unit")}
    assert set(people) == {ID_A, ID_B, ID_C}
    a, c = people[ID_A], people[ID_C]
    assert (a.name, a.phone, a.address, a.org_unit.code, a.sex, a.birth_date) == (
        "张三",
        "13912345678",
        "北山街道1号",
        "330106002001",
        "M",
        dt.date(1980, 1, 1),
    )
    assert (c.address, c.org_unit.code) == ("杭州市西湖区,3号", "330106002")
    assert people[ID_B].sex == "F"
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.target_type, event.target_label) == (
        "registry.import",
        "registry.persons",
        "persons.csv",
    )
    assert event.after == {"rows": 3, "created": 3, "updated": 0, "sha256": report.sha256}


def test_a_file_with_bad_rows_imports_nothing_and_names_each_problem(world):
    bad_id, expected = bad_check(ID_B)
    text = csv_text(
        HEADER,
        f"{ID_A},张三,13912345678,北山街道1号,330106",
        f"{bad_id},李四,,西湖区2号,330106",
        f"{ID_C},王五,,西湖区3号,339999",
        f"{ID_C},王五,西湖区3号,330106",
        f"{ID_A},张三,13912345678,北山街道1号,330106",
    )
    people, events = Person.objects.count(), AuditEvent.objects.count()
    report = import_persons(world.xihu_clerk, text)
    assert report.committed is False
    assert (report.created, report.updated, report.rows) == (0, 0, 5)
    assert report.errors == [
        RowError(3, "resident_id", f"check character should be {expected}, not {bad_id[-1]}"),
        RowError(4, "region_code", "unknown region code “339999”"),
        RowError(5, "(row)", "has 4 fields; the header has 5"),
        RowError(6, "(row)", "duplicates row 2"),
    ]
    assert Person.objects.count() == people
    assert AuditEvent.objects.count() == events


def test_reimport_updates_instead_of_duplicating(world):
    assert import_persons(world.xihu_clerk, GOOD).created == 3
    report = import_persons(world.xihu_clerk, GOOD)
    assert (report.committed, report.created, report.updated) == (True, 0, 0)
    changed = GOOD.replace("张三,13912345678,北山街道1号", "张叁,13912345678,北山街道9号")
    report = import_persons(world.xihu_clerk, changed)
    assert (report.committed, report.created, report.updated) == (True, 0, 1)
    assert Person.objects.count() == 3
    a = Person.objects.get(resident_id=ID_A)
    assert (a.name, a.address) == ("张叁", "北山街道9号")
    assert AuditEvent.objects.filter(action="registry.import").count() == 3


def test_rows_outside_the_clerks_scope_are_errors(world):
    text = csv_text(
        HEADER,
        f"{ID_Y},赵六,,义乌1号,330782",
        f"{ID_A},张三,,北山街道1号,330106",
    )
    report = import_persons(world.yiwu_clerk, text)
    assert report.committed is False
    assert report.errors == [RowError(3, "region_code", "region 330106 is outside your scope")]
    assert Person.objects.count() == 0
    # A viewer has no registry.import at all: every row is outside the scope.
    report = import_persons(world.xihu_viewer, csv_text(HEADER, f"{ID_A},张三,,北山街道1号,330106"))
    assert report.errors == [RowError(2, "region_code", "region 330106 is outside your scope")]
    assert Person.objects.count() == 0


def test_undecodable_bytes_are_a_file_error(world):
    raw = HEADER.encode() + b"\r\n" + b"\xff\xfe\xff\xff,\x80\x80,,,330106\r\n"
    with pytest.raises(ValidationError) as exc:
        import_persons(world.xihu_clerk, raw)
    assert exc.value.code == "encoding"
    assert exc.value.fields == {"file": ["the file is neither UTF-8 nor GBK/GB18030 text"]}
    assert Person.objects.count() == 0


def test_shift_jis_text_is_a_file_error_not_garbage(world):
    # Shift-JIS decodes as GB18030 without error, into rare characters (氏名 becomes 巵柤).
    raw = csv_text("氏名,住所,電話", "山田太郎,東京都千代田区1番,0312345678").encode("shift_jis")
    raw.decode("gb18030")  # the trap: it does decode
    with pytest.raises(ValidationError) as exc:
        import_persons(world.xihu_clerk, raw)
    assert exc.value.code == "encoding"
    assert exc.value.fields == {"file": ["the file is neither UTF-8 nor GBK/GB18030 text"]}
    assert Person.objects.count() == 0


def test_broken_quoting_is_a_file_error(world):
    text = csv_text(HEADER, f'{ID_A},"张三"x,,北山街道1号,330106')
    with pytest.raises(ValidationError) as exc:
        import_persons(world.xihu_clerk, text)
    assert exc.value.code == "csv"
    assert list(exc.value.fields) == ["file"]
    assert exc.value.fields["file"][0].startswith("the CSV is malformed: ")
    assert Person.objects.count() == 0


def test_unknown_and_missing_columns_are_reported_at_row_1(world):
    report = import_persons(world.xihu_clerk, csv_text("身份证号,姓名,血型", f"{ID_A},张三,A"))
    assert report.committed is False
    assert [(e.row, e.field) for e in report.errors] == [(1, "血型"), (1, "region_code")]
    assert report.errors[0].message.startswith("unknown column; expected one of ")
    assert report.errors[1].message == "required column is missing"
    assert Person.objects.count() == 0


def test_empty_file_and_unknown_kind(world):
    with pytest.raises(ValidationError) as exc:
        import_persons(world.xihu_clerk, b"")
    assert exc.value.fields == {"file": ["the file is empty"]}
    with pytest.raises(ValidationError) as exc:
        registry_import(actor=world.xihu_clerk, kind="cars", raw=GOOD.encode())
    assert list(exc.value.fields) == ["kind"]


def test_blank_lines_are_skipped(world):
    report = import_persons(world.xihu_clerk, GOOD + ",,,,\r\n\r\n")
    assert (report.committed, report.rows, report.created) == (True, 3, 3)


def test_legal_entities_and_licences_import(world):
    uscc = generate_uscc("91330106MA27XL8T0")
    entities = csv_text(
        "统一社会信用代码,企业名称,企业类型,法定代表人,住所,行政区划代码,成立日期,注册资本(分)",
        f"{uscc},杭州西湖茶叶有限公司,有限责任公司,张三,龙井路1号,330106,2015-06-01,100000000",
    )
    report = registry_import(actor=world.xihu_clerk, kind="legal_entities", raw=entities.encode("gbk"))
    assert (report.committed, report.created) == (True, 1)
    entity = LegalEntity.objects.get(uscc=uscc)
    assert (entity.registered_capital_fen, entity.established_on, entity.region_code) == (
        100_000_000,
        dt.date(2015, 6, 1),
        "330106",
    )

    from zhengtong.registry import services

    services.licence_type_create(
        actor=world.system, code="business_licence", name="营业执照", holder_kind="entity"
    )
    licences = csv_text(
        "证照类型,证照编号,持证主体代码,发证部门,行政区划代码,有效期起,有效期止",
        f"business_licence,YZ-1,{uscc},gaj,330106,2015-06-01,",
        f"business_licence,YZ-2,{uscc},nope,330106,2015-06-01,",
        f"business_licence,YZ-3,{uscc},gaj,330106,2015-06-01,2014-01-01",
    )
    report = registry_import(actor=world.xihu_clerk, kind="licences", raw=licences.encode())
    assert report.errors == [
        RowError(3, "issuing_department", "no department “nope” in this region"),
        RowError(4, "valid_to", "must not be before valid_from"),
    ]
    assert Licence.objects.count() == 0
    report = registry_import(
        actor=world.xihu_clerk, kind="licences", raw=csv_text(*licences.splitlines()[:2]).encode()
    )
    assert (report.committed, report.created) == (True, 1)
    licence = Licence.objects.get()
    assert (licence.number, licence.state, licence.holder_entity, licence.issuing_department) == (
        "YZ-1",
        "valid",
        entity,
        world.xihu_gaj,
    )


# --- through the API (multipart) ---------------------------------------------------------------


def api(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def upload(client, content: bytes, kind="persons"):
    return client.post(
        "/api/v1/registry/imports",
        {"kind": kind, "file": SimpleUploadedFile("persons.csv", content, content_type="text/csv")},
    )


def test_api_import_good_gbk_file(world):
    response = upload(api(world.xihu_clerk), GOOD.encode("gbk"))
    assert response.status_code == 200
    body = response.json()
    assert {
        k: body[k] for k in ("kind", "encoding", "rows", "created", "updated", "committed", "errors")
    } == {
        "kind": "persons",
        "encoding": "gb18030",
        "rows": 3,
        "created": 3,
        "updated": 0,
        "committed": True,
        "errors": [],
    }
    assert Person.objects.count() == 3


def test_api_import_bad_file_is_422_with_the_rows(world):
    bad_id, expected = bad_check(ID_B)
    text = csv_text(HEADER, f"{ID_A},张三,,北山街道1号,330106", f"{bad_id},李四,,西湖区2号,330106")
    events = AuditEvent.objects.count()
    response = upload(api(world.xihu_clerk), text.encode("utf-8-sig"))
    assert response.status_code == 422
    body = response.json()
    assert body["committed"] is False
    assert body["errors"] == [
        {
            "row": 3,
            "field": "resident_id",
            "message": f"check character should be {expected}, not {bad_id[-1]}",
        }
    ]
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == events


def test_api_import_undecodable_file_is_422_error_body(world):
    response = upload(api(world.xihu_clerk), b"\xff\xff\xff\xff")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "encoding"
    assert response.json()["error"]["details"]["fields"] == {
        "file": ["the file is neither UTF-8 nor GBK/GB18030 text"]
    }


def test_api_import_needs_login(world, client):
    response = upload(client, GOOD.encode())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_required"
    assert Person.objects.count() == 0


def test_a_record_outside_the_importers_scope_cannot_be_updated_or_moved(world):
    # A 西湖区 person already exists; a 义乌 clerk's file claims the same ID in 义乌.
    assert import_persons(world.xihu_clerk, GOOD).committed
    person = Person.objects.get(resident_id=ID_A)
    before = (person.name, person.org_unit_id, person.phone)
    events = AuditEvent.objects.count()
    report = import_persons(world.yiwu_clerk, csv_text(HEADER, f"{ID_A},冒名,13700000000,义乌1号,330782"))
    assert not report.committed
    assert report.errors == [
        RowError(2, "resident_id", "a record with this key exists in region 330106002001, outside your scope")
    ]
    person.refresh_from_db()
    assert (person.name, person.org_unit_id, person.phone) == before
    assert AuditEvent.objects.count() == events


def test_each_updated_record_gets_its_own_audit_event_with_before_and_after(world):
    assert import_persons(world.xihu_clerk, GOOD).committed
    changed = GOOD.replace("张三,13912345678", "张三丰,13912345678")
    report = import_persons(world.xihu_clerk, changed)
    assert (report.committed, report.created, report.updated) == (True, 0, 1)
    person = Person.objects.get(resident_id=ID_A)
    event = AuditEvent.objects.filter(action="registry.person.update", target_id=str(person.pk)).get()
    assert (event.before, event.after, event.note) == ({"name": "张三"}, {"name": "张三丰"}, "by import")
    assert AuditEvent.objects.filter(action="registry.import").count() == 2
