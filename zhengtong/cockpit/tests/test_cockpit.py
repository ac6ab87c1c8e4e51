"""Cockpit pages, API and exports per scope: a county leader sees their county and what is below
it, never another county (page, API, drill-through, exports); the province leader sees both;
query counts do not grow with the data; alerts reach the county's supervisors."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from zhengtong.cockpit.models import Alert
from zhengtong.cockpit.services import alerts, materialize

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(cp):
    cp.generate(seed=5)
    materialize.materialize()
    return cp


def test_county_leader_sees_own_county_and_never_another(client, data):
    w = data.world
    client.force_login(data.xihu_leader)
    page = client.get("/cockpit/330106/?indicator=services.applications")
    assert page.status_code == 200
    assert "西湖区" in page.content.decode()
    assert "北山街道" in page.content.decode()  # the township below, on the map's table
    assert client.get("/cockpit/").url == "/cockpit/330106/"
    for url in (
        "/cockpit/330782/",
        "/cockpit/330782/wall/",
        "/cockpit/330782/records/?indicator=services.applications",
        "/cockpit/330782/export.xlsx",
        "/cockpit/330782/briefing.pdf",
        "/cockpit/330000/",
        "/api/v1/cockpit/units/330782",
        "/api/v1/cockpit/units/330782/records?indicator=services.applications",
        "/api/v1/cockpit/units/330000",
    ):
        assert client.get(url).status_code == 403, url
    # Drill-through of the leader's own county lists only its records.
    records = client.get(
        "/api/v1/cockpit/units/330106/records?indicator=services.applications&days=30"
    ).json()
    assert records and all(r["region_path"].startswith(w.xihu.path) for r in records)
    yiwu_numbers = set(
        __import__("zhengtong.services.models", fromlist=["Case"])
        .Case.objects.filter(org_path__startswith=w.yiwu.path)
        .values_list("number", flat=True)
    )
    assert yiwu_numbers and not yiwu_numbers & {r["ref"] for r in records}
    html = client.get("/cockpit/330106/records/?indicator=services.applications").content.decode()
    assert not any(n in html for n in yiwu_numbers)
    # States are shown by name (the API gives the code beside it), never as a bare code.
    states = {r["state"]: r["state_label"] for r in records}
    assert all(states.values()) and any(label != code for code, label in states.items()), states
    assert all(f"<td>{label}</td>" in html for label in states.values())
    assert not any(f"<td>{code}</td>" in html for code, label in states.items() if label != code)


def test_province_leader_sees_every_city_and_drills_down(client, data):
    client.force_login(data.province_leader)
    body = client.get("/api/v1/cockpit/units/330000?indicator=services.applications&days=30").json()
    regions = {r["code"]: r["value"] for r in body["regions"]}
    assert set(regions) == {"330100", "330700"}
    assert regions["330100"] > 0 and regions["330700"] > 0
    figures = {f["code"]: f for f in body["figures"]}
    assert figures["services.applications"]["value"] == regions["330100"] + regions["330700"]
    # Hot spots by incident category, named by the grid module's labels.
    assert [(h["key"], h["name"]) for h in body["hot_spots"]] == [("GEN01", "生成类事件")]
    assert body["hot_spots"][0]["value"] == figures["grid.received"]["value"]
    down = client.get("/api/v1/cockpit/units/330106002?indicator=grid.received&days=30").json()
    assert down["region_name"] == "北山街道"
    assert client.get("/cockpit/330106002/").status_code == 200


def test_unknown_indicator_and_bad_period_are_field_errors(client, data):
    client.force_login(data.province_leader)
    r = client.get("/api/v1/cockpit/units/330000?indicator=nope")
    assert r.status_code == 422 and "indicator" in r.json()["error"]["details"]["fields"]
    r = client.get("/api/v1/cockpit/units/330000?days=11")
    assert r.status_code == 422 and "days" in r.json()["error"]["details"]["fields"]
    assert client.get("/api/v1/cockpit/units/999999").status_code == 404


def test_cockpit_page_query_count_does_not_grow_with_the_data(client, data):
    client.force_login(data.province_leader)
    with CaptureQueriesContext(connection) as before:
        assert client.get("/cockpit/330000/").status_code == 200
    data.generate(days=data.days[:3], per_day=4, seed=9)
    materialize.materialize()
    with CaptureQueriesContext(connection) as after:
        assert client.get("/cockpit/330000/").status_code == 200
    assert len(after) == len(before) > 5


def test_exports_hold_the_units_figures(client, data):
    client.force_login(data.xihu_leader)
    r = client.get("/cockpit/330106/export.xlsx?indicator=services.applications")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0].startswith("指标")
    first = wb.worksheets[0]
    assert "西湖区" in first["A1"].value
    names = [row[0].value for row in first.iter_rows(min_row=3)]
    assert "办件量" in names
    regions = [row[1].value for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert regions == ["北山街道"]
    pdf = client.get("/cockpit/330106/briefing.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_alerts_reach_the_supervisors_of_the_unit_once(data):
    from zhengtong.notify.models import Message

    w = data.world
    created = alerts.alerts_scan()
    assert created > 0
    xihu_alerts = Alert.objects.filter(org_unit=w.xihu)
    assert xihu_alerts.exists()
    told = set(Message.objects.filter(event="cockpit.alert").values_list("recipient_id", flat=True))
    assert data.xihu_supervisor.pk in told or data.xihu_leader.pk in told
    # Nobody in 义乌 hears about 西湖区.
    yiwu_told = Message.objects.filter(event="cockpit.alert", recipient=data.yiwu_leader)
    assert all("西湖区" not in m.title for m in yiwu_told)
    assert alerts.alerts_scan() == 0  # once per indicator, unit and day


def test_acknowledging_another_countys_alert_is_refused_and_changes_nothing(client, data):
    w = data.world
    alerts.alerts_scan()
    alert = Alert.objects.filter(org_unit=w.xihu).first()
    client.force_login(data.yiwu_leader)
    assert client.post(f"/cockpit/alerts/{alert.pk}/acknowledge/").status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    client.force_login(data.xihu_leader)
    assert client.post(f"/cockpit/alerts/{alert.pk}/acknowledge/").status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == data.xihu_leader


def test_public_methodology_and_registry(client, data):
    assert client.get("/cockpit/methodology/").status_code == 200
    body = client.get("/api/v1/cockpit/indicators").json()
    codes = {i["code"] for i in body}
    assert {"services.on_time_rate", "hotline.received", "grid.received", "opendata.downloads"} <= codes
    assert abs(sum(i["default_weight"] for i in body) - 1) < 0.01
    assert client.get("/cockpit/330106/").status_code == 302  # anonymous: to the login
