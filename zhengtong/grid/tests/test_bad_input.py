"""Malformed query parameters get a 400 (Open311 error body) or a form message, never a 500."""

import pytest

from zhengtong.grid import reports
from zhengtong.grid.demo import REPORT_TEMPLATES
from zhengtong.grid.models import ReportTemplate

BASE = "/open311/v2"


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/requests/%C2%B2.json",
        f"{BASE}/requests/99999999999999999999999.json",
    ],
)
def test_open311_request_ids_outside_the_id_range_are_unknown(client, grid, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "service_request_id=99999999999999999999999",
            "service_request_id must be a comma-separated list of ids",
        ),
        ("service_request_id=%C2%B2", "service_request_id must be a comma-separated list of ids"),
        ("end_date=0001-01-01T00:00:00%2B08:00", "end_date: must be a date-time between 1900 and 9000"),
        ("end_date=9999-12-31T23:00:00-08:00", "end_date: must be a date-time between 1900 and 9000"),
        ("start_date=0001-01-01T00:00:00", "start_date: must be a date-time between 1900 and 9000"),
        (
            "end_date=2026-13-45T00:00:00",
            "end_date: must be an ISO 8601 date-time, e.g. 2026-03-01T00:00:00+08:00",
        ),
    ],
)
def test_open311_bad_query_values_get_400(client, grid, query, message):
    response = client.get(f"{BASE}/requests.json?{query}")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": message}]


@pytest.fixture
def templates(grid):
    for spec in REPORT_TEMPLATES:
        reports.template_save(actor=grid.w.system, **spec)
    return {t.code: t for t in ReportTemplate.objects.all()}


@pytest.mark.parametrize("period", ["9999-12", "0001-01"])
def test_report_period_out_of_range_is_a_message(client, grid, templates, period):
    client.force_login(grid.command)
    response = client.get(f"/grid/reports/grid-incidents-monthly/?period={period}")
    assert response.status_code == 200
    assert "must be a month between 1900-01 and 9000-12" in response.content.decode()
    with pytest.raises(Exception) as err:
        reports.period_bounds(period)
    assert err.value.fields == {"period": ["must be a month between 1900-01 and 9000-12"]}


@pytest.mark.parametrize("query", ["unit=abc", "unit=%C2%B2&period=2026-01", "period=9999-12"])
def test_report_export_bad_unit_or_period_is_not_a_500(client, grid, templates, query):
    client.force_login(grid.command)
    if "unit=" not in query:
        query += f"&unit={grid.w.beishan.pk}"
    response = client.get(f"/grid/reports/grid-incidents-monthly/export.csv?{query}")
    assert response.status_code in (400, 404)


def test_open311_post_with_a_nul_byte_is_400_and_stores_nothing(client, grid):
    from zhengtong.grid import services
    from zhengtong.grid.models import Incident
    from zhengtong.grid.tests.conftest import CELL_1, inside

    _key, raw = services.open311_key_create(actor=grid.command, name="测试客户端", org_unit=grid.w.beishan)
    lat, lng = inside(CELL_1)
    before = Incident.objects.count()
    response = client.post(
        f"{BASE}/requests.json",
        {"api_key": raw, "service_code": "E0101", "lat": lat, "long": lng, "description": "路口\x00有垃圾"},
    )
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": "fields must not contain control characters"}]
    assert Incident.objects.count() == before
