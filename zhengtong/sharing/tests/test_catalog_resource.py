"""Sharing a catalogue resource: attributes from its grades, interface rows with projection and
row scope, verification against its rows (the datastore engine, read through a grant)."""

from __future__ import annotations

import pytest

from zhengtong.catalog.tests.conftest import Cat
from zhengtong.core.errors import PermissionDenied
from zhengtong.sharing import services
from zhengtong.sharing.models import Exchange

CSV = (
    "许可证编号,经营者名称,法定代表人,区划代码,经营项目\n"
    "JY13301060001,西湖茶社,张三,330106,热食类\n"
    "JY13301060002,北山面馆,李四,330106002,热食类\n"
    "JY13307820001,义乌小吃,王五,330782,冷食类\n"
)


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.CATALOG_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.DATASTORE_DIR = str(tmp_path / "datastore")
    from zhengtong.datastore import storage

    storage.set_storage(None)
    yield
    storage.set_storage(None)


@pytest.fixture
def shared(world):
    cat = Cat(world)
    resource = cat.published(name="food-licences", openness="closed", text=CSV)
    profile = services.profile_set(
        actor=cat.publisher,
        resource=resource,
        sharing_type="conditional",
        fields={},
        key_field="许可证编号",
        region_field="区划代码",
    )
    consumer = world.staff("sh_gaj", "counter_staff", world.xihu, world.xihu_gaj)
    return cat, profile, consumer


def _grant(cat, profile, consumer, **kw):
    import datetime as dt

    from django.utils import timezone

    request = services.request_create(
        actor=consumer,
        profile=profile,
        fields=kw.pop("fields", ["许可证编号", "经营者名称", "区划代码"]),
        purpose="核查经营者",
        legal_basis="《食品安全法》",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        **kw,
    )
    services.request_approve(actor=cat.publisher, request=request)
    if request.state != "approved":
        services.request_approve(actor=cat.officer, request=request)
    grant = request.grant
    _row, secret = services.grant_key_issue(actor=consumer, grant=grant)
    return grant, secret


def test_profile_takes_the_catalogue_fields_and_grades(shared):
    _cat, profile, _consumer = shared
    names = [f["name"] for f in profile.fields]
    assert names == ["许可证编号", "经营者名称", "法定代表人", "区划代码", "经营项目"]
    assert profile.resource.name == "food-licences"


def test_interface_rows_are_projected_and_scoped(shared):
    cat, profile, consumer = shared
    grant, secret = _grant(cat, profile, consumer, mode="interface", row_scope="330106")
    answer = services.exchange_call(
        secret=secret, mode="interface", body={"fields": ["经营者名称", "区划代码"]}
    )
    assert sorted(r["经营者名称"] for r in answer["rows"]) == ["北山面馆", "西湖茶社"]
    assert all(set(r) == {"经营者名称", "区划代码"} for r in answer["rows"])
    with pytest.raises(PermissionDenied) as exc:
        services.exchange_call(
            secret=secret,
            mode="interface",
            body={"filters": [{"field": "区划代码", "op": "eq", "value": "330782"}]},
        )
    assert exc.value.code == "outside_row_scope"
    with pytest.raises(PermissionDenied) as exc:
        services.exchange_call(secret=secret, mode="interface", body={"fields": ["法定代表人"]})
    assert exc.value.code == "outside_fields"
    assert list(Exchange.objects.filter(grant=grant).values_list("outcome", flat=True).order_by("id")) == [
        "ok",
        "refused",
        "refused",
    ]


def test_verification_against_catalogue_rows(shared):
    cat, profile, consumer = shared
    _grant_obj, secret = _grant(cat, profile, consumer, mode="verification")
    ok = services.exchange_call(
        secret=secret,
        mode="verification",
        body={"subject": {"许可证编号": "JY13301060001", "经营者名称": "西湖茶社"}},
    )
    assert ok["result"] == "match"
    bad = services.exchange_call(
        secret=secret,
        mode="verification",
        body={"subject": {"许可证编号": "JY13301060001", "经营者名称": "别家"}},
    )
    assert bad["fields"] == {"许可证编号": "match", "经营者名称": "no_match"}
    none = services.exchange_call(secret=secret, mode="verification", body={"subject": {"许可证编号": "JY0"}})
    assert none["result"] == "not_found"


def test_batch_extract_is_watermarked_scoped_logged_and_for_the_consumer_only(shared):
    import csv
    import io

    from zhengtong.notify.models import Message
    from zhengtong.sharing.models import SharingProfile

    cat, profile, consumer = shared
    assert "batch" in SharingProfile.objects.get(pk=profile.pk).modes
    import datetime as dt

    from django.utils import timezone

    request = services.request_create(
        actor=consumer,
        profile=profile,
        fields=["许可证编号", "经营者名称"],
        purpose="年度核查",
        legal_basis="《食品安全法》",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        mode="batch",
        row_scope="330106",
    )
    services.request_approve(actor=cat.publisher, request=request)
    grant = request.grant
    extract = services.batch_extract(actor=consumer, grant=grant)
    assert extract.rows == 2 and extract.outcome == "ok" and extract.mode == "batch"
    rows = list(
        csv.reader(io.StringIO(services.batch_file(actor=consumer, exchange=extract).decode("utf-8-sig")))
    )
    assert rows[0] == ["许可证编号", "经营者名称", "_watermark"]
    assert sorted(r[1] for r in rows[1:]) == ["北山面馆", "西湖茶社"]
    extract_id = extract.file_path.rsplit("/", 1)[1][:-4]
    assert services.batch_trace(grant=grant, extract=extract_id, row=1, mark=rows[1][2])
    assert not services.batch_trace(grant=grant, extract=extract_id, row=2, mark=rows[1][2])
    assert Message.objects.filter(recipient=consumer, event="sharing.batch").exists()
    with pytest.raises(PermissionDenied):
        services.batch_file(actor=cat.yiwu_publisher, exchange=extract)
    services.grant_suspend(actor=cat.publisher, grant=grant, note="核查")
    with pytest.raises(PermissionDenied) as exc:
        services.batch_extract(actor=consumer, grant=grant)
    assert exc.value.code == "grant_inactive"
    assert Exchange.objects.filter(grant=grant, outcome="refused").count() == 1
