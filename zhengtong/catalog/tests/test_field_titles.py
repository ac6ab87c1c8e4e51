"""Multilingual field titles (Chinese and English): set by the publisher, shown on the dataset page
by language, in the API schema and the data dictionary, kept by later loads."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from zhengtong.audit.models import AuditEvent
from zhengtong.catalog import services
from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV
from zhengtong.core.errors import PermissionDenied, ValidationError

TITLES = {
    "企业名称": {"title": "企业名称", "title_en": "Enterprise name"},
    "注册资本": {"title_en": "Registered capital (10k yuan)", "description": "单位：万元"},
}


def _fields(resource) -> dict[str, dict]:
    resource.refresh_from_db()
    return {f["name"]: f for f in resource.current_version.fields}


def test_the_publisher_sets_english_titles_without_a_new_version(cat):
    resource = cat.published()
    before = resource.current_version.number
    services.field_titles_set(actor=cat.publisher, resource=resource, titles=TITLES)
    fields = _fields(resource)
    assert resource.current_version.number == before
    assert fields["企业名称"]["title_en"] == "Enterprise name"
    assert fields["注册资本"]["title_en"] == "Registered capital (10k yuan)"
    assert fields["注册资本"]["description"] == "单位：万元"
    assert "title_en" not in fields["法定代表人"]
    event = AuditEvent.objects.get(action="catalog.resource.field_titles")
    assert event.after["企业名称"] == {"title_en": "Enterprise name"}
    assert "registered capital" in resource.search_text
    # an empty string clears a title
    services.field_titles_set(actor=cat.publisher, resource=resource, titles={"企业名称": {"title_en": ""}})
    assert "title_en" not in _fields(resource)["企业名称"]


def test_titles_survive_the_next_load(cat):
    resource = cat.published()
    services.field_titles_set(actor=cat.publisher, resource=resource, titles=TITLES)
    job = cat.load(resource, text=ENTERPRISE_CSV, mode="append")
    assert job.state == "succeeded", job.errors
    assert _fields(resource)["企业名称"]["title_en"] == "Enterprise name"


def test_bad_titles_are_refused_naming_the_field_and_rule_and_nothing_changes(cat):
    resource = cat.published()
    schema = resource.current_version.schema
    cases = [
        ({"no_such": {"title_en": "x"}}, "no_such"),
        ({"企业名称": {"title_en": "x" * 201}}, "企业名称.title_en"),
        ({"企业名称": {"colour": "red"}}, "企业名称.colour"),
        ({"企业名称": {"title_en": "a\x07b"}}, "企业名称.title_en"),
        ({"企业名称": "Enterprise"}, "企业名称"),
    ]
    for titles, field in cases:
        with pytest.raises(ValidationError) as exc:
            services.field_titles_set(actor=cat.publisher, resource=resource, titles=titles)
        assert field in exc.value.fields, (titles, exc.value.fields)
    with pytest.raises(PermissionDenied):
        services.field_titles_set(actor=cat.yiwu_publisher, resource=resource, titles=TITLES)
    resource.refresh_from_db()
    assert resource.current_version.schema == schema
    assert not AuditEvent.objects.filter(action="catalog.resource.field_titles").exists()


def test_the_dataset_page_shows_titles_by_language(cat, client):
    resource = cat.published()
    services.field_titles_set(actor=cat.publisher, resource=resource, titles=TITLES)
    url = reverse("catalog:dataset", args=[resource.name])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert 'Enterprise name <span class="hint mono">企业名称</span>' in english
    assert '<span class="hint" lang="zh-Hans">企业名称</span>' not in english  # same as the name
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get(url).content.decode()
    assert '<span class="hint" lang="en">Enterprise name</span>' in chinese
    assert 'Enterprise name <span class="hint mono">' not in chinese


def test_the_api_and_the_dictionary_carry_both_titles(cat, client):
    resource = cat.published()
    services.field_titles_set(actor=cat.publisher, resource=resource, titles=TITLES)
    schema = client.get(f"/api/v1/catalog/resources/{resource.name}/schema").json()
    by_name = {f["name"]: f for f in schema["fields"]}
    assert by_name["企业名称"]["title_en"] == "Enterprise name"
    assert by_name["法定代表人"]["title_en"] == ""
    lines = (
        client.get(reverse("catalog:dictionary", args=[resource.name]))
        .content.decode("utf-8-sig")
        .splitlines()
    )
    assert lines[0].startswith("name,title,title_en,description,description_en,type")
    assert any(
        line.startswith("注册资本,注册资本,Registered capital (10k yuan),单位：万元,,") for line in lines
    )


def test_the_api_sets_titles_for_the_publisher_only(cat, client):
    resource = cat.published()
    url = f"/api/v1/catalog/resources/{resource.name}/field-titles"
    body = json.dumps({"fields": TITLES})
    client.force_login(cat.yiwu_publisher, backend="django.contrib.auth.backends.ModelBackend")
    assert client.put(url, body, "application/json").status_code == 403
    assert "title_en" not in _fields(resource)["企业名称"]
    client.force_login(cat.publisher, backend="django.contrib.auth.backends.ModelBackend")
    bad = client.put(url, json.dumps({"fields": {"nope": {"title_en": "x"}}}), "application/json")
    assert bad.status_code == 422 and "nope" in bad.json()["error"]["details"]["fields"]
    ok = client.put(url, body, "application/json")
    assert ok.status_code == 200
    assert {f["name"]: f.get("title_en") for f in ok.json()["fields"]}["企业名称"] == "Enterprise name"


def test_the_manage_page_form_sets_titles(cat, client):
    resource = cat.published()
    client.force_login(cat.publisher, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("catalog:resource_manage", args=[resource.name])).content.decode()
    assert 'name="title_en-1"' in page
    names = [f["name"] for f in resource.current_version.fields]
    index = names.index("企业名称")
    response = client.post(
        reverse("catalog:field_titles", args=[resource.name]), {f"title_en-{index}": "Enterprise name"}
    )
    assert response.status_code == 302
    assert _fields(resource)["企业名称"]["title_en"] == "Enterprise name"
