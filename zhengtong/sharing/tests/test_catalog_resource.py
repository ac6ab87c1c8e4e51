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
    # Scheduled extracts: the worker's periodic task takes the due ones, then waits N days.
    from zhengtong.core.tasks import periodic_tasks

    assert "sharing.batches" in {p.name for p in periodic_tasks()}
    with pytest.raises(PermissionDenied):
        services.batch_schedule(actor=cat.yiwu_publisher, grant=grant, every_days=7)
    services.batch_schedule(actor=consumer, grant=grant, every_days=7)
    assert services.batches_due() == 1
    assert services.batches_due() == 0  # the next one is due in 7 days
    grant.refresh_from_db()
    assert services.batches_due(now=grant.batch_next_at) == 1
    scheduled = Exchange.objects.filter(grant=grant, on_behalf_of=f"schedule:{grant.pk}")
    assert [e.outcome for e in scheduled] == ["ok", "ok"] and all(e.rows == 2 for e in scheduled)
    services.grant_suspend(actor=cat.publisher, grant=grant, note="核查")
    with pytest.raises(PermissionDenied) as exc:
        services.batch_extract(actor=consumer, grant=grant)
    assert exc.value.code == "grant_inactive"
    assert Exchange.objects.filter(grant=grant, outcome="refused").count() == 1


def test_conditional_open_agreement_reports_and_revocation(shared, world):
    from zhengtong.catalog import services as catalog
    from zhengtong.core.errors import Conflict, ValidationError
    from zhengtong.sharing.models import OpenTerms, UsageReport

    cat, _profile, _consumer = shared
    resource = cat.published(name="care-homes", openness="conditional", text=CSV)
    user = world.citizen
    application = catalog.application_submit(
        actor=user, resource=resource, purpose="研究养老机构的分布与服务能力", fields=["经营者名称"]
    )
    with pytest.raises(PermissionDenied):
        services.agreement_publish(actor=user, text="x" * 30)
    v1 = services.agreement_publish(
        actor=cat.officer, text="数据使用协议第一版：仅用于所述用途，不得再分发，按季度报告使用情况。"
    )
    v2 = services.agreement_publish(
        actor=cat.officer, text="数据使用协议第二版：仅用于所述用途，不得再分发，不得识别个人，按季度报告。"
    )
    assert (v1.version, v2.version) == (1, 2)
    with pytest.raises(Conflict) as refused:  # the catalogue's approval needs the accepted agreement
        catalog.application_approve(actor=cat.publisher, application=application)
    assert refused.value.code == "terms_not_accepted"
    application.refresh_from_db()
    assert application.state == "submitted"
    with pytest.raises(ValidationError):
        services.terms_accept(actor=user, application=application, version=1)  # not the current version
    with pytest.raises(PermissionDenied):
        services.terms_accept(actor=cat.officer, application=application, version=2)
    services.terms_accept(actor=user, application=application, version=2)
    assert OpenTerms.objects.get(application=application).agreement.version == 2
    with pytest.raises(Conflict):
        services.usage_report_submit(
            actor=user, application=application, period="2026-Q4", text="尚未批准时不能报告使用情况"
        )
    catalog.application_approve(actor=cat.publisher, application=application)
    application.refresh_from_db()
    report = services.usage_report_submit(
        actor=user, application=application, period="2026-Q4", text="用于养老机构分布研究，未再分发。"
    )
    assert UsageReport.objects.filter(application=application).get() == report
    services.application_revoke(actor=cat.publisher, application=application, note="协议期满")
    application.refresh_from_db()
    assert application.state == "revoked"


def test_open_applications_page_and_api(shared, world):
    from django.test import Client

    from zhengtong.catalog import services as catalog
    from zhengtong.sharing.models import OpenTerms

    cat, _profile, _consumer = shared
    resource = cat.published(name="care-homes", openness="conditional", text=CSV)
    application = catalog.application_submit(
        actor=world.citizen, resource=resource, purpose="研究养老机构的分布与服务能力", fields=["经营者名称"]
    )
    services.agreement_publish(
        actor=cat.officer, text="数据使用协议：仅用于所述用途，不得再分发，按季度报告使用情况。"
    )
    client = Client()
    client.force_login(world.citizen)
    page = client.get("/sharing/open/")
    assert page.status_code == 200 and "数据使用协议" in page.content.decode()
    r = client.post("/sharing/open/", {"application": application.pk, "action": "accept", "version": "1"})
    assert r.status_code == 302 and OpenTerms.objects.filter(application=application).exists()
    catalog.application_approve(actor=cat.publisher, application=application)
    r = client.post(
        f"/api/v1/sharing/open/applications/{application.pk}/reports",
        {"period": "2026-Q4", "text": "用于养老机构分布研究，未再分发。"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    other = Client()
    other.force_login(cat.yiwu_publisher)
    assert other.get(f"/api/v1/sharing/open/applications/{application.pk}/reports").status_code == 404
    owner = Client()
    owner.force_login(cat.publisher)
    assert len(owner.get(f"/api/v1/sharing/open/applications/{application.pk}/reports").json()) == 1
