"""An Open311 GeoReport v2 client written against the specification (wiki.open311.org/GeoReport_v2),
not against our code: plain urllib over HTTP against a live server, JSON and XML parsed by the
specification's field names. It lists services, reads a definition, posts a request, polls its
token and reads the request's status."""

import json
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

import pytest

pytestmark = pytest.mark.usefixtures("transactional_db")

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


class GeoReportClient:
    def __init__(self, endpoint: str, api_key: str):
        self.endpoint = endpoint.rstrip("/")
        self.api_key = api_key

    def _get(self, path: str, fmt: str, params=None):
        url = f"{self.endpoint}/{path}.{fmt}" + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            return self._parse(response.read(), fmt)

    def _parse(self, raw: bytes, fmt: str):
        if fmt == "json":
            return json.loads(raw)
        root = ElementTree.fromstring(raw)
        return (
            [{child.tag: child.text for child in item} for item in root]
            if root.tag != "service_definition"
            else root
        )

    def services(self, fmt="json"):
        return self._get("services", fmt)

    def definition(self, code, fmt="json"):
        return self._get(f"services/{code}", fmt)

    def post(self, fmt="json", **fields):
        data = urllib.parse.urlencode({"api_key": self.api_key, **fields}).encode()
        request = urllib.request.Request(f"{self.endpoint}/requests.{fmt}", data=data, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, self._parse(response.read(), fmt)
        except urllib.error.HTTPError as err:
            return err.code, self._parse(err.read(), fmt)

    def token(self, token, fmt="json"):
        return self._get(f"tokens/{token}", fmt)

    def request(self, request_id, fmt="json"):
        return self._get(f"requests/{request_id}", fmt)

    def requests(self, fmt="json", **params):
        return self._get("requests", fmt, params)


@pytest.fixture
def client311(live_server, grid):
    from zhengtong.grid import services

    _key, raw = services.open311_key_create(actor=grid.command, name="spec client", org_unit=grid.w.beishan)
    return GeoReportClient(live_server.url + "/open311/v2/", raw)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_spec_client_round_trip(client311, grid, fmt):
    from zhengtong.grid.tests.conftest import CELL_1, inside

    services = client311.services(fmt)
    assert services and all(set(s) >= SERVICE_FIELDS for s in services)
    code = next(s["service_code"] for s in services if s["service_code"] == "E0401")
    definition = client311.definition(code, fmt)
    if fmt == "json":
        attribute = definition["attributes"][0]
        assert attribute["required"] is True and attribute["datatype"] == "singlevaluelist"
        key = attribute["values"][0]["key"]
    else:
        key = definition.find("attributes/attribute/values/value/key").text
    lat, lng = inside(CELL_1)
    status, created = client311.post(
        fmt, service_code=code, lat=lat, long=lng, description="路面塌陷", **{"attribute[severity]": key}
    )
    assert status in (200, 201)
    token = created[0]["token"]
    polled = client311.token(token, fmt)
    request_id = polled[0]["service_request_id"]
    assert request_id == created[0]["service_request_id"]
    request = client311.request(request_id, fmt)[0]
    assert set(request) >= REQUEST_FIELDS
    assert request["status"] == "open" and request["service_code"] == code
    listed = client311.requests(fmt, service_code=code, status="open")
    assert request_id in [r["service_request_id"] for r in listed]


def test_spec_client_sees_errors_as_specified(client311):
    client311.api_key = "wrong"
    status, body = client311.post("json", service_code="E0101", lat="30.26", long="120.14")
    assert status == 403 and body[0]["code"] == 403 and body[0]["description"]
    status, body = client311.post("xml", service_code="E0101", lat="30.26", long="120.14")
    assert status == 403 and body[0]["code"] == "403"


def discover(server: str) -> str:
    """Service discovery as the specification describes it: read /open311/discovery.json and take
    the production GeoReport v2 endpoint that speaks JSON."""
    with urllib.request.urlopen(server.rstrip("/") + "/open311/discovery.json", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        document = json.loads(response.read())
    assert document["changeset"] and document["contact"]
    endpoint = next(
        e
        for e in document["endpoints"]
        if e["specification"] == "http://wiki.open311.org/GeoReport_v2"
        and e["type"] == "production"
        and "application/json" in e["formats"]
    )
    return endpoint["url"]


def _raw(method: str, url: str, data: bytes | None = None):
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_client_follows_discovery(live_server, grid):
    from zhengtong.grid import services
    from zhengtong.grid.models import Incident
    from zhengtong.grid.tests.conftest import CELL_1, inside

    _key, raw = services.open311_key_create(actor=grid.command, name="discovering", org_unit=grid.w.beishan)
    client = GeoReportClient(discover(live_server.url), raw)
    assert client.services()

    # media_url and account_id are kept; service_notice is the same on GET as on POST
    lat, lng = inside(CELL_1)
    status, created = client.post(
        service_code="E0101",
        lat=lat,
        long=lng,
        description="垃圾堆放",
        media_url="https://example.org/photo.jpg",
        account_id="acct-42",
    )
    assert status == 201 and created[0]["account_id"] == "acct-42"
    request = client.request(created[0]["service_request_id"])[0]
    assert request["media_url"] == "https://example.org/photo.jpg"
    assert request["service_notice"] == created[0]["service_notice"] != ""
    assert request["address_id"]

    # address_id alone locates a request (our address ids are grid cell codes)
    before = Incident.objects.count()
    status, again = client.post(
        service_code="E0101", address_id=request["address_id"], description="再次堆放"
    )
    assert status == 201, again
    assert Incident.objects.count() == before + 1
    assert client.request(again[0]["service_request_id"])[0]["address_id"] == request["address_id"]
    status, bad = client.post(service_code="E0101", address_id="NO-SUCH-CELL", description="x")
    assert status == 400 and "address_id" in bad[0]["description"]
    assert Incident.objects.count() == before + 1


def test_unknown_jurisdiction_and_read_only_methods(live_server, grid):
    from zhengtong.grid.models import Incident

    endpoint = discover(live_server.url)
    status, _headers, body = _raw("GET", endpoint + "/services.json?jurisdiction_id=nowhere.example")
    assert status == 404 and json.loads(body)[0]["code"] == 404
    status, _headers, body = _raw("GET", endpoint + "/requests.json?jurisdiction_id=nowhere.example")
    assert status == 404
    before = Incident.objects.count()
    for method in ("PUT", "DELETE", "PATCH"):
        for path in ("/services.json", "/requests/1.json", "/requests.json"):
            status, headers, body = _raw(method, endpoint + path, b"x=1")
            assert status == 405, (method, path, body[:200])
            assert headers["Content-Type"] == "application/json; charset=utf-8"
            assert json.loads(body)[0]["code"] == 405
        status, headers, body = _raw(method, endpoint + "/services.xml", b"x=1")
        assert status == 405 and b"<errors><error><code>405</code>" in body
    assert Incident.objects.count() == before
