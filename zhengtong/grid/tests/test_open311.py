"""Open311 GeoReport v2 shapes and errors, through the Django test client."""

import json
from xml.etree import ElementTree

import pytest

from zhengtong.grid import selectors, services
from zhengtong.grid.models import Incident
from zhengtong.grid.tests.conftest import CELL_1, CELL_Y, inside

BASE = "/open311/v2"


@pytest.fixture
def key(grid):
    _key, raw = services.open311_key_create(actor=grid.command, name="测试客户端", org_unit=grid.w.beishan)
    return raw


def post(client, key, fmt="json", **fields):
    lat, lng = inside(CELL_1)
    data = {"api_key": key, "service_code": "E0101", "lat": lat, "long": lng, "description": "路口有垃圾"}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}/requests.{fmt}", data)


def test_services_json_and_xml(client, grid):
    rows = client.get(f"{BASE}/services.json").json()
    codes = [r["service_code"] for r in rows]
    assert "E0101" in codes and "E0701" not in codes  # disputes are private
    row = next(r for r in rows if r["service_code"] == "E0401")
    assert set(row) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert row["metadata"] is True and row["type"] == "realtime" and row["group"] == "突发事件"
    xml = ElementTree.fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services"
    first = xml.find("service")
    assert first.find("service_code").text == "C0101" and first.find("metadata").text == "false"


def test_service_definition(client, grid):
    body = client.get(f"{BASE}/services/E0401.json").json()
    assert body["service_code"] == "E0401"
    attr = body["attributes"][0]
    assert attr == {
        "variable": True,
        "code": "severity",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "严重程度 severity",
        "values": [{"key": "1", "name": "一般"}, {"key": "2", "name": "较重"}, {"key": "3", "name": "严重"}],
    }
    xml = ElementTree.fromstring(client.get(f"{BASE}/services/E0401.xml").content)
    assert xml.tag == "service_definition"
    assert [v.find("key").text for v in xml.find("attributes/attribute/values")] == ["1", "2", "3"]
    response = client.get(f"{BASE}/services/E0701.json")
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_post_then_token_then_request(client, grid, key):
    response = post(client, key, first_name="张", last_name="三", phone="13912345678", email="zs@example.com")
    assert response.status_code == 201
    body = response.json()
    assert set(body[0]) == {"service_request_id", "token", "service_notice", "account_id"}
    incident = Incident.objects.get(pk=int(body[0]["service_request_id"]))
    assert (incident.source, incident.reporter_phone, incident.state) == (
        "open311",
        "13912345678",
        "reported",
    )
    token = client.get(f"{BASE}/tokens/{body[0]['token']}.json").json()
    assert token == [{"service_request_id": str(incident.pk), "token": incident.token}]
    req = client.get(f"{BASE}/requests/{incident.pk}.json").json()[0]
    assert req["status"] == "open" and req["service_code"] == "E0101" and isinstance(req["lat"], float)
    assert req["requested_datetime"].endswith("+08:00")
    raw = client.get(f"{BASE}/requests/{incident.pk}.json").content.decode()
    for personal in ("13912345678", "zs@example.com", "张 三"):
        assert personal not in raw
    xml = ElementTree.fromstring(client.get(f"{BASE}/requests/{incident.pk}.xml").content)
    assert xml.tag == "service_requests" and xml.find("request/service_request_id").text == str(incident.pk)


def test_post_xml_and_attributes(client, grid, key):
    response = post(client, key, fmt="xml", service_code="E0401", **{"attribute[severity]": "2"})
    assert response.status_code == 201
    xml = ElementTree.fromstring(response.content)
    incident = Incident.objects.get(pk=int(xml.find("request/service_request_id").text))
    assert incident.attributes == {"severity": "2"}


@pytest.mark.parametrize(
    "fields,status,text",
    [
        ({"api_key": "nope"}, 403, "api_key is missing or not valid"),
        ({"api_key": None}, 403, "api_key"),
        ({"service_code": "Z999"}, 400, "service_code: unknown service"),
        ({"service_code": None}, 400, "service_code: is required"),
        ({"service_code": "E0701"}, 400, "service_code: unknown service"),
        ({"lat": "north"}, 400, "lat: must be a decimal number"),
        ({"lat": "95"}, 400, "lat: must be between -90 and 90"),
        ({"long": None}, 400, "lat and long"),
        ({"lat": None, "long": None}, 400, "a location is required"),
        ({"lat": "10", "long": "10"}, 400, "outside every grid cell"),
        (
            {"lat": str(inside(CELL_Y)[0]), "long": str(inside(CELL_Y)[1])},
            400,
            "outside this client's jurisdiction",
        ),
        ({"service_code": "E0401"}, 400, "attribute[severity]: is required"),
        ({"description": "x" * 4001}, 400, "description: at most 4000 characters"),
    ],
)
def test_post_errors_in_open311_format(client, grid, key, fields, status, text):
    count = Incident.objects.count()
    response = post(client, key, **fields)
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status and text in body[0]["description"]
    assert Incident.objects.count() == count


def test_errors_in_xml(client, grid):
    response = client.post(f"{BASE}/requests.xml", {"api_key": "bad"})
    xml = ElementTree.fromstring(response.content)
    assert response.status_code == 403
    assert xml.tag == "errors" and xml.find("error/code").text == "403"


def test_revoked_key_is_refused(client, grid, key):
    assert post(client, key).status_code == 201
    reported = Incident.objects.count()
    (credential,) = selectors.open311_keys_in(roots=[""])
    services.open311_key_revoke(actor=grid.command, key=credential)
    # No per-process cache: the very next request is refused.
    assert post(client, key).status_code == 403
    assert Incident.objects.count() == reported


def test_address_string_without_coordinates(client, grid, key):
    response = post(client, key, lat=None, long=None, address_string="北山街道栖霞岭第一网格旁")
    assert response.status_code == 201
    incident = Incident.objects.get(pk=int(response.json()[0]["service_request_id"]))
    assert incident.cell == grid.cell1


def test_requests_list_filters(client, grid, key):
    ids = [int(post(client, key).json()[0]["service_request_id"]) for _ in range(2)]
    services.incident_reject(actor=grid.command, incident=Incident.objects.get(pk=ids[0]), note="重复")
    grid.report(category="E0701")  # private: never listed
    rows = client.get(f"{BASE}/requests.json").json()
    assert sorted(int(r["service_request_id"]) for r in rows) == sorted(ids)
    assert [r["service_request_id"] for r in client.get(f"{BASE}/requests.json?status=closed").json()] == [
        str(ids[0])
    ]
    assert [r["service_request_id"] for r in client.get(f"{BASE}/requests.json?status=open").json()] == [
        str(ids[1])
    ]
    assert client.get(f"{BASE}/requests.json?service_code=C0101").json() == []
    assert (
        client.get(
            f"{BASE}/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z"
        ).json()
        == []
    )
    assert len(client.get(f"{BASE}/requests.json?service_request_id={ids[0]},{ids[1]}").json()) == 2
    bad = client.get(f"{BASE}/requests.json?start_date=yesterday")
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    assert client.get(f"{BASE}/requests.json?status=pending").status_code == 400


def test_unknown_ids_and_tokens(client, grid):
    assert client.get(f"{BASE}/requests/999999.json").status_code == 404
    assert client.get(f"{BASE}/requests/abc.xml").status_code == 404
    assert client.get(f"{BASE}/tokens/{'0' * 24}.json").json()[0]["code"] == 404


def test_private_request_is_not_served(client, grid):
    inc = grid.report(category="E0701")
    assert client.get(f"{BASE}/requests/{inc.pk}.json").status_code == 404


def test_description_identifiers_are_masked(client, grid, key):
    response = post(client, key, description="联系电话13912345678,身份证330106198506150011")
    rid = response.json()[0]["service_request_id"]
    text = json.dumps(client.get(f"{BASE}/requests/{rid}.json").json(), ensure_ascii=False)
    assert "13912345678" not in text and "330106198506150011" not in text


def test_request_list_has_no_n_plus_one(client, grid, key, django_assert_max_num_queries):
    for _ in range(3):
        post(client, key)
    client.get(f"{BASE}/services.json")  # categories cached
    with django_assert_max_num_queries(3):
        rows = client.get(f"{BASE}/requests.json").json()
    assert len(rows) == 3
    for _ in range(3):
        post(client, key)
    with django_assert_max_num_queries(3):
        assert len(client.get(f"{BASE}/requests.json").json()) == 6
