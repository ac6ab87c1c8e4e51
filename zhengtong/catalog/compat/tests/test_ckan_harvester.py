"""The stock CKAN harvester of ckanext-harvest, replayed: its gather stage's searches, exactly as
``ckanext/harvest/harvesters/ckanharvester.py`` (ckan/ckanext-harvest, commit 1a9a987, AGPL-3.0)
sends them: ``sort=id asc``, ``rows=100``, ``start`` paging until an empty page, organisation
include (``organization:a OR organization:b``) and exclude (``-organization:x``) terms, and on an
incremental run ``fq=metadata_modified:[<since>Z TO *]``. Like the original, ``_search`` reads the
body without looking at the status, so a refused search shows here as "0 harvested"."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
import requests

pytestmark = pytest.mark.django_db(transaction=True)


class SearchError(Exception):
    pass


def _search_for_datasets(remote_ckan_base_url: str, fq_terms=None) -> list[dict]:
    """ckanharvester.CKANHarvester._search_for_datasets, lines 295-368, with requests for
    _get_content."""
    base_search_url = remote_ckan_base_url + "/api/3/action/package_search"
    params = {"rows": "100", "start": "0"}
    params["sort"] = "id asc"
    if fq_terms:
        params["fq"] = " ".join(fq_terms)
    pkg_dicts: list[dict] = []
    pkg_ids: set = set()
    previous_content = None
    while True:
        url = base_search_url + "?" + urlencode(params)
        content = requests.get(url, timeout=30).text
        if previous_content and content == previous_content:
            raise SearchError(f"The paging doesn't seem to work. URL: {url}")
        previous_content = content
        try:
            response_dict = json.loads(content)
        except ValueError:
            raise SearchError(f"Response from remote CKAN was not JSON: {content!r}") from None
        pkg_dicts_page = (response_dict.get("result") or {}).get("results", [])
        ids_in_page = {p["id"] for p in pkg_dicts_page}
        duplicate_ids = ids_in_page & pkg_ids
        if duplicate_ids:
            pkg_dicts_page = [p for p in pkg_dicts_page if p["id"] not in duplicate_ids]
        pkg_ids |= ids_in_page
        pkg_dicts.extend(pkg_dicts_page)
        if len(pkg_dicts_page) == 0:
            break
        params["start"] = str(int(params["start"]) + int(params["rows"]))
    return pkg_dicts


def gather(base_url: str, *, config: dict | None = None, last_gather_started=None) -> list[dict]:
    """CKANHarvester.gather_stage's choice of searches (lines 184-265)."""
    config = config or {}
    fq_terms = []
    include = config.get("organizations_filter_include", [])
    exclude = config.get("organizations_filter_exclude", [])
    if include:
        fq_terms.append(" OR ".join(f"organization:{name}" for name in include))
    elif exclude:
        fq_terms.extend(f"-organization:{name}" for name in exclude)
    if last_gather_started is not None:
        get_changes_since = (last_gather_started - dt.timedelta(hours=1)).isoformat()
        fq_since_last_time = f"metadata_modified:[{get_changes_since}Z TO *]"
        return _search_for_datasets(base_url, fq_terms + [fq_since_last_time])
    return _search_for_datasets(base_url, fq_terms)


@pytest.fixture
def many(opendata, world):
    """110 more published datasets (two pages of 100 for the harvester), one draft, and three
    published by another department."""
    rows = opendata.rows[:3]
    for i in range(110):
        opendata.publish(f"ds-{i:03d}", f"数据集{i:03d}", "", rows)
    opendata.publish("draft-one", "草稿", "", rows, state="draft")
    other = world.xihu_scjg.__class__.objects.exclude(pk=world.xihu_scjg.pk).first()
    for i in range(3):
        opendata.publish(f"other-{i}", f"其他部门{i}", "", rows, department=other)
    return other


def _org_name(department) -> str:
    return f"{department.org_unit.code}-{department.code}"


def test_full_and_incremental_harvest(live_server, opendata, many):
    from zhengtong.catalog.models import DataResource

    public = set(DataResource.objects.filter(state="published").values_list("name", flat=True))
    assert len(public) == 114

    harvested = gather(live_server.url)
    assert {p["name"] for p in harvested} == public
    assert len(harvested) == len(public)  # no duplicates across the pages
    # Full package dicts, as the import stage needs them.
    assert all(p["resources"] and p["organization"] for p in harvested)

    # Incremental: the harvester asks for changes since an hour before its last gather. Make every
    # dataset look two days old, then change two.
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    DataResource.objects.update(modified_at=old)
    last_gather = (old + dt.timedelta(days=1)).replace(tzinfo=None)  # gather_started is naive UTC
    assert gather(live_server.url, last_gather_started=last_gather) == []
    for name in ("ds-007", "ds-105"):
        resource = DataResource.objects.get(name=name)
        resource.title += "（更新）"
        resource.save()
    changed = gather(live_server.url, last_gather_started=last_gather)
    assert sorted(p["name"] for p in changed) == ["ds-007", "ds-105"]


def test_organisation_filters(live_server, opendata, many):
    other = _org_name(many)
    mine = _org_name(opendata.world.xihu_scjg)
    excluded = gather(live_server.url, config={"organizations_filter_exclude": [other]})
    assert len(excluded) == 111 and all(p["organization"]["name"] == mine for p in excluded)
    included = gather(live_server.url, config={"organizations_filter_include": [other, "330106-none"]})
    assert sorted(p["name"] for p in included) == ["other-0", "other-1", "other-2"]
