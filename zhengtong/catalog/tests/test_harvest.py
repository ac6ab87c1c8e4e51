"""Harvesting a recorded CKAN source and a DCAT-AP feed across two runs: records are created,
kept in step (changed at the origin → updated) and retired when the origin withdraws them."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zhengtong.catalog import licences, services
from zhengtong.catalog.models import DataResource, HarvestRun
from zhengtong.core.errors import PermissionDenied, ValidationError


class Response:
    def __init__(self, status: int, text: str, content_type: str = "application/json"):
        self.status_code, self.text = status, text
        self.headers = {"Content-Type": content_type}

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class Recorded:
    """A requests session answering from recorded responses (``url`` → body)."""

    def __init__(self, answers: dict[str, tuple[int, str, str]]):
        self.answers, self.headers, self.calls = answers, {}, []

    def _answer(self, url: str) -> Response:
        self.calls.append(url)
        status, text, content_type = self.answers.get(url, (404, "{}", "application/json"))
        return Response(status, text, content_type)

    def post(self, url, data=None, headers=None, files=None, allow_redirects=False, **kw):
        return self._answer(url)

    def get(self, url, timeout=None, **kw):
        return self._answer(url)


def _package(name, title, modified, licence="cc-by", tags=("交通",)):
    return {
        "id": f"id-{name}",
        "name": name,
        "title": title,
        "notes": f"{title}（来自另一个门户）",
        "license_id": licence,
        "metadata_modified": modified,
        "tags": [{"name": t} for t in tags],
    }


def _ckan(packages) -> Recorded:
    body = json.dumps({"success": True, "result": {"count": len(packages), "results": packages}})
    return Recorded({"https://data.example.org/api/action/package_search": (200, body, "application/json")})


@pytest.fixture
def source(world, cat):
    return services.harvest_source_create(
        actor=cat.officer,
        name="zj-portal",
        title="浙江数据开放平台",
        kind="ckan",
        url="https://data.example.org",
        department=world.xihu_scjg,
    )


@pytest.fixture
def cat(world):
    from zhengtong.catalog.tests.conftest import Cat

    return Cat(world)


def test_a_ckan_source_is_kept_in_step_across_two_runs(source, client):
    first = services.harvest_run(
        source,
        session=_ckan(
            [
                _package("bus-lines", "公交线路", "2026-11-01T00:00:00"),
                _package("parking", "停车场", "2026-11-01T00:00:00", licence="odc-odbl"),
                _package("air", "空气质量", "2026-11-01T00:00:00", licence="proprietary"),
            ]
        ),
    )
    assert (first.ok, first.created, first.updated, first.unchanged, first.withdrawn) == (True, 3, 0, 0, 0)
    harvested = {r.origin_id: r for r in DataResource.objects.filter(harvest_source=source)}
    bus = harvested["id-bus-lines"]
    assert (bus.name, bus.state, bus.title, bus.licence) == (
        "zj-portal-bus-lines",
        "published",
        "公交线路",
        "CC-BY-4.0",
    )
    assert bus.origin_url == "https://data.example.org/dataset/bus-lines"
    assert harvested["id-parking"].licence == "ODbL-1.0"
    assert harvested["id-air"].licence == licences.UNKNOWN
    page = client.get(f"/opendata/{bus.name}/").content.decode()
    assert "https://data.example.org/dataset/bus-lines" in page

    second = services.harvest_run(
        source,
        session=_ckan(
            [
                _package("bus-lines", "公交线路（2026版）", "2026-12-01T00:00:00"),
                _package("air", "空气质量", "2026-11-01T00:00:00", licence="proprietary"),
                _package("taxi", "出租车", "2026-12-01T00:00:00"),
            ]
        ),
    )
    assert (second.created, second.updated, second.unchanged, second.withdrawn) == (1, 1, 1, 1)
    states = {r.origin_id: (r.state, r.title) for r in DataResource.objects.filter(harvest_source=source)}
    assert states == {
        "id-bus-lines": ("published", "公交线路（2026版）"),
        "id-parking": ("retired", "停车场"),
        "id-air": ("published", "空气质量"),
        "id-taxi": ("published", "出租车"),
    }
    assert HarvestRun.objects.filter(source=source).count() == 2


def test_our_own_copies_read_back_are_not_harvested_again(source):
    copy = _package("zj-portal-bus-lines", "公交线路", "1")
    copy["extras"] = [{"key": "harvest_source", "value": "zj-portal"}]
    run = services.harvest_run(source, session=_ckan([_package("bus-lines", "公交线路", "1"), copy]))
    assert (run.created, run.unchanged) == (1, 0)
    assert [r.origin_id for r in DataResource.objects.filter(harvest_source=source)] == ["id-bus-lines"]


def test_an_origin_that_fails_changes_nothing(source):
    services.harvest_run(source, session=_ckan([_package("bus-lines", "公交线路", "1")]))
    failed = services.harvest_run(source, session=Recorded({}))
    assert not failed.ok and failed.message
    assert DataResource.objects.get(harvest_source=source).state == "published"


def test_a_dcat_feed_is_harvested(world, cat):
    dcat = services.harvest_source_create(
        actor=cat.officer,
        name="dcat-feed",
        title="DCAT",
        kind="dcat",
        url="https://feed.example.org/catalog.ttl",
        department=world.xihu_scjg,
    )
    turtle = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://feed.example.org/d/1> a dcat:Dataset ; dct:identifier "d1" ; dct:title "河道水质"@zh, "River quality"@en ;
  dct:description "每月监测" ; dcat:keyword "环境", "水" ; dct:modified "2026-10-01" ;
  dct:license <https://creativecommons.org/publicdomain/zero/1.0/> ; dcat:landingPage <https://feed.example.org/d/1> .
"""
    run = services.harvest_run(
        dcat, session=Recorded({"https://feed.example.org/catalog.ttl": (200, turtle, "text/turtle")})
    )
    assert (run.ok, run.created) == (True, 1)
    record = DataResource.objects.get(harvest_source=dcat)
    assert (record.title, record.licence, sorted(record.keywords)) == ("河道水质", "CC0-1.0", ["水", "环境"])


def test_only_harvest_managers_add_sources_and_input_is_checked(world, cat):
    with pytest.raises(PermissionDenied):
        services.harvest_source_create(
            actor=cat.publisher,
            name="x-source",
            title="x",
            kind="ckan",
            url="https://e.org",
            department=world.xihu_scjg,
        )
    with pytest.raises(ValidationError) as exc:
        services.harvest_source_create(
            actor=cat.officer,
            name="x-source",
            title="x",
            kind="ckan",
            url="file:///etc/passwd",
            department=world.xihu_scjg,
        )
    assert "url" in exc.value.fields
    assert not DataResource.objects.exists()


def test_the_ckan_dataset_address_leads_to_the_portal_page(cat, client):
    resource = cat.published()
    response = client.get(f"/dataset/{resource.name}")
    assert response.status_code == 301 and response["Location"] == f"/opendata/{resource.name}/"
    assert client.get("/dataset/no-such-dataset").status_code == 404


def test_the_ckan_license_list_is_the_registry():
    body = Client().get("/api/3/action/license_list").json()
    assert [lic["id"] for lic in body["result"]] == list(licences.REGISTRY)
    from zhengtong.catalog.models import Licence

    assert set(Licence.values) == set(licences.REGISTRY)


def test_the_catalogue_dump_lists_published_datasets_with_their_origin(source, client):
    from django.core.cache import cache

    services.harvest_run(source, session=_ckan([_package("bus-lines", "=公交线路", "1")]))
    cache.clear()
    response = client.get("/opendata/catalog.csv")
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("name,title,title_en")
    assert "zj-portal-bus-lines,'=公交线路" in lines[1]  # a formula is neutralised
    assert lines[1].endswith("zj-portal,https://data.example.org/dataset/bus-lines")


def test_the_harvest_console(source, client, cat):
    client.force_login(cat.publisher, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/console/data/harvest/").status_code == 403
    client.force_login(cat.officer, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/console/data/harvest/").content.decode()
    assert "浙江数据开放平台" in page
    response = client.post(
        "/console/data/harvest/",
        {
            "action": "create",
            "name": "dcat-2",
            "title": "另一个门户",
            "kind": "dcat",
            "url": "https://other.example.org/catalog.ttl",
            "department": source.department_id,
            "interval_hours": 12,
        },
    )
    assert response.status_code == 302
    from zhengtong.catalog.models import HarvestSource

    assert HarvestSource.objects.get(name="dcat-2").interval_hours == 12
