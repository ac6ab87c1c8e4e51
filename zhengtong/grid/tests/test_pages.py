import io
import json

import pytest

from zhengtong.grid import reports, selectors, services
from zhengtong.grid.demo import REPORT_TEMPLATES
from zhengtong.grid.models import GridCell, Incident, Patrol
from zhengtong.grid.tests.conftest import CELL_1, inside, square


def login(client, user):
    client.force_login(user)
    return client


def test_workbench_and_report_form(client, grid):
    login(client, grid.worker)
    page = client.get("/grid/")
    assert page.status_code == 200 and "栖霞岭第一网格" in page.content.decode()
    assert client.get("/grid/report/").status_code == 200
    lat, lng = inside(CELL_1)
    response = client.post(
        "/grid/report/", {"category": "E0101", "description": "垃圾", "lat": lat, "lng": lng}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/grid/incidents/{incident.pk}/"
    bad = client.post("/grid/report/", {"category": "E0101", "description": "垃圾", "lat": "0", "lng": "0"})
    assert bad.status_code == 200 and "outside every grid cell" in bad.content.decode()
    assert Incident.objects.count() == 1
    near = client.get(f"/grid/nearby/?lat={lat}&lng={lng}")
    assert f"#{incident.pk}" in near.content.decode()
    assert "must be a decimal number" in client.get("/grid/nearby/?lat=x&lng=1").content.decode()


def test_report_with_bad_photo_keeps_nothing(client, grid):
    login(client, grid.worker)
    lat, lng = inside(CELL_1)
    upload = io.BytesIO(b"not an image")
    upload.name = "x.jpg"
    response = client.post(
        "/grid/report/",
        {"category": "E0101", "description": "垃圾", "lat": lat, "lng": lng, "photos": upload},
    )
    assert response.status_code == 200 and "is not a readable image" in response.content.decode()
    assert Incident.objects.count() == 0


def test_patrol_page(client, grid):
    login(client, grid.worker)
    lat, lng = inside(CELL_1)
    client.post("/grid/patrol/", {"lat": lat, "lng": lng, "hazards_found": "1"})
    assert Patrol.objects.get().worker == grid.worker


def test_incident_detail_actions(client, grid):
    inc = grid.report()
    login(client, grid.command)
    page = client.get(f"/grid/incidents/{inc.pk}/")
    assert page.status_code == 200 and 'value="register"' in page.content.decode()
    client.post(f"/grid/incidents/{inc.pk}/", {"action": "register", "version": inc.version})
    inc.refresh_from_db()
    client.post(
        f"/grid/incidents/{inc.pk}/",
        {"action": "dispatch", "version": inc.version, "department": grid.depts["zjj"].pk},
    )
    inc.refresh_from_db()
    assert inc.state == "dispatched" and inc.handling_department == grid.depts["zjj"]
    stale = client.post(
        f"/grid/incidents/{inc.pk}/", {"action": "suspend", "version": 0, "note": "x"}, follow=True
    )
    assert "changed by someone else" in stale.content.decode()


def test_scoped_pages(client, grid):
    inc = grid.report()
    login(client, grid.yiwu_command)
    assert client.get(f"/grid/incidents/{inc.pk}/").status_code == 404
    before = (inc.state, inc.version)
    client.post(f"/grid/incidents/{inc.pk}/", {"action": "register", "version": inc.version})
    inc.refresh_from_db()
    assert (inc.state, inc.version) == before
    login(client, grid.worker)
    assert client.get("/grid/command/").status_code == 403
    assert client.get("/grid/cells/").status_code == 403
    assert client.get("/grid/keys/").status_code == 403


def test_command_room_map_and_one_click_dispatch(client, grid):
    inc = grid.report(category="C0201")
    login(client, grid.command)
    page = client.get("/grid/command/")
    assert page.status_code == 200 and f"wait-{inc.pk}" in page.content.decode()
    data = client.get(f"/grid/command/map.json?township={grid.w.beishan.pk}").json()
    assert {f["properties"]["code"] for f in data["geojson"]["features"]} == {
        grid.cell1.code,
        grid.cell2.code,
    }
    assert data["points"] == [
        {"id": inc.pk, "value": [inc.lng, inc.lat], "state": "reported", "category": "C0201"}
    ]
    assert (
        client.get(f"/grid/command/map.json?township={grid.w.beishan.pk}&state=closed").json()["points"] == []
    )
    row = client.post(f"/grid/command/dispatch/{inc.pk}/", HTTP_HX_REQUEST="true")
    inc.refresh_from_db()
    assert inc.state == "dispatched" and "西湖区住房和城乡建设局" in row.content.decode()
    login(client, grid.county_command)
    assert client.get("/grid/command/").status_code == 200


def test_cells_page_import(client, grid):
    login(client, grid.command)
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "330106002001003", "name": "第三网格"},
                "geometry": square(120.146, 30.26),
            }
        ],
    }
    upload = io.BytesIO(json.dumps(fc).encode())
    upload.name = "cells.geojson"
    response = client.post("/grid/cells/", {"file": upload})
    assert response.status_code == 302 and GridCell.objects.filter(code="330106002001003").exists()
    bad = io.BytesIO(b'{"type": "FeatureCollection", "features": [{"properties": {"code": "1"}}]}')
    bad.name = "bad.geojson"
    page = client.post("/grid/cells/", {"file": bad}).content.decode()
    assert "feature 1 (1): properties.code must be a 15-digit grid code" in page


def test_keys_page(client, grid):
    login(client, grid.command)
    page = client.post("/grid/keys/", {"name": "市民App"}).content.decode()
    (key,) = selectors.open311_keys_in(roots=[""])
    assert "o311_" + key.prefix in page and key.org_unit == grid.command.org_unit
    client.post("/grid/keys/", {"revoke": key.pk})
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_reports_pages(client, grid):
    for spec in REPORT_TEMPLATES:
        reports.template_save(actor=grid.w.system, **spec)
    login(client, grid.command)
    assert "矛盾纠纷排查调处月报" in client.get("/grid/reports/").content.decode()
    url = f"/grid/reports/disputes-monthly/?unit={grid.w.beishan.pk}&period=2026-03"
    assert client.get(url).status_code == 200
    client.post(url, {"mediators": "9"})
    run = client.get(url).context["run"]
    assert run.values["mediators"] == "9"
    csv = client.get(f"/grid/reports/disputes-monthly/export.csv?unit={grid.w.beishan.pk}&period=2026-03")
    assert csv["Content-Type"].startswith(
        "text/csv"
    ) and "People's mediators,9,entered" in csv.content.decode("utf-8-sig")
    xlsx = client.get(f"/grid/reports/disputes-monthly/export.xlsx?unit={grid.w.beishan.pk}&period=2026-03")
    assert xlsx.content[:2] == b"PK"


def test_stats_csv_and_api(client, grid):
    grid.report(category="C0201")
    services.incident_stats_refresh()
    assert "330106002,北山街道,C0201" in client.get("/grid/stats.csv").content.decode("utf-8-sig")
    rows = client.get("/api/v1/grid/stats?township=330106002").json()
    assert rows[0]["reported"] == 1


def test_api_locate_incidents_and_transitions(client, grid):
    lat, lng = inside(CELL_1)
    assert client.get(f"/api/v1/grid/locate?lat={lat}&lng={lng}").status_code == 401
    login(client, grid.worker)
    body = client.get(f"/api/v1/grid/locate?lat={lat}&lng={lng}").json()
    assert body["township"]["name"] == "北山街道" and body["grid"]["code"] == grid.cell1.code
    assert client.get("/api/v1/grid/locate?lat=0&lng=0").json()["error"]["details"]["fields"] == {
        "location": ["the location is outside every grid cell"]
    }
    created = client.post(
        "/api/v1/grid/incidents",
        {"category": "E0101", "lat": lat, "lng": lng, "description": "垃圾"},
        content_type="application/json",
    )
    assert created.status_code == 201
    rid = created.json()["id"]
    denied = client.post(
        f"/api/v1/grid/incidents/{rid}/transitions", {"action": "register"}, content_type="application/json"
    )
    assert denied.status_code == 403 and Incident.objects.get(pk=rid).state == "reported"
    login(client, grid.command)
    ok = client.post(
        f"/api/v1/grid/incidents/{rid}/transitions",
        {"action": "register", "version": 0},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["state"] == "registered"
    assert [i["id"] for i in client.get("/api/v1/grid/incidents").json()["items"]] == [rid]


@pytest.mark.parametrize(
    "path", ["/grid/incidents/", "/grid/reports/", "/grid/cells/", "/grid/keys/", "/grid/command/"]
)
def test_english_pages_render(client, grid, path):
    for spec in REPORT_TEMPLATES[:1]:
        reports.template_save(actor=grid.w.system, **spec)
    login(client, grid.county_command)
    assert client.get(path).status_code == 200
