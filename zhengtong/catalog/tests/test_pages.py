from __future__ import annotations

import io
import json
import re

import pytest
from django.urls import reverse

from zhengtong.catalog.models import UsageDaily
from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV


def login(client, username):
    from zhengtong.accounts.models import User

    client.force_login(
        User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
    )


RAW_IDS = ("330106198506150011", "330106199001010022", "33010619800202003X")
RAW_PHONES = ("13912345678", "13812345679", "13712345670")
FORMULA_CSV = (
    ENTERPRISE_CSV
    + '91330106MA2XXXXX4E,=HYPERLINK("http://evil"),赵六,330106198506150011,13912345678,10,2020-01-01\n'
)


def _no_raw(text: str) -> None:
    for value in RAW_IDS + RAW_PHONES:
        assert value not in text, value


def test_portal_lists_published_with_facets(client, cat):
    cat.published()
    cat.resource(name="still-draft", title="草稿数据")
    response = client.get(reverse("catalog:portal"), {"q": "企业"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "西湖区企业名录" in html and "草稿数据" not in html
    assert "西湖区市场监督管理局" in html  # department facet
    response = client.get(reverse("catalog:portal"), {"q": "没有这个"})
    assert "西湖区企业名录" not in response.content.decode()
    assert client.get(reverse("catalog:portal"), {"cursor": "forged"}).status_code == 200


def test_dataset_page_never_shows_raw_identifiers(client, cat):
    resource = cat.published()
    response = client.get(reverse("catalog:dataset", args=[resource.name]))
    assert response.status_code == 200
    html = response.content.decode()
    _no_raw(html)
    assert "杭州西湖茶叶有限公司" in html  # the preview is there
    assert "3301**********0011" in html or "330106********0011" in html
    assert "datastore_search?resource_id=enterprises" in html
    assert "/data/enterprises.json" in html
    assert UsageDaily.objects.get(resource=resource).views == 1


def test_officer_sees_raw_variant(client, cat, password):
    resource = cat.published()
    login(client, "xihu_dso")
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert "330106198506150011" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "parquet"])
def test_every_download_format_is_desensitized(client, cat, fmt):
    resource = cat.published(text=FORMULA_CSV)
    response = client.get(reverse("catalog:download", args=[resource.name, fmt]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert f"{resource.name}-v" in response["Content-Disposition"]
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbf")
        text = body.decode("utf-8-sig")
        _no_raw(text)
        assert "'=HYPERLINK" in text
    elif fmt == "json":
        text = body.decode()
        _no_raw(text)
        assert len(json.loads(text)) == 4
    elif fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = [str(c) for row in wb.active.iter_rows(values_only=True) for c in row if c is not None]
        _no_raw(" ".join(cells))
        assert any(c.startswith("'=HYPERLINK") for c in cells)
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(body))
        assert table.num_rows == 4
        _no_raw(repr(table.to_pylist()))
    assert UsageDaily.objects.get(resource=resource).downloads == 1


def test_draft_and_closed_are_not_public(client, cat):
    draft = cat.resource(name="hidden-draft")
    assert client.get(reverse("catalog:dataset", args=[draft.name])).status_code == 404
    assert client.get(reverse("catalog:download", args=[draft.name, "csv"])).status_code == 404


def test_conditional_dataset_needs_approved_application(client, cat, world, password):
    from zhengtong.catalog import services

    resource = cat.published(name="cond-data")
    services_resource = resource
    services.resource_update(actor=cat.publisher, resource=services_resource, openness="conditional")
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert "杭州西湖茶叶有限公司" not in html and "统一社会信用代码" in html  # schema, no rows
    assert client.get(reverse("catalog:download", args=[resource.name, "csv"])).status_code == 404
    login(client, "citizen")
    response = client.post(
        reverse("catalog:apply", args=[resource.name]),
        {"purpose": "研究西湖区企业分布情况用于学术论文", "fields": ["企业名称", "注册资本"]},
    )
    assert response.status_code == 302
    application = resource.applications.get()
    assert application.state == "submitted"
    assert client.get(reverse("catalog:download", args=[resource.name, "csv"])).status_code == 404
    services.application_approve(actor=cat.publisher, application=application)
    response = client.get(reverse("catalog:download", args=[resource.name, "csv"]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].replace('"', "") == "企业名称,注册资本"
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert "杭州西湖茶叶有限公司" in html
    _no_raw(html)


def test_application_denied_for_other_department(cat, world):
    from zhengtong.catalog import services
    from zhengtong.core.errors import PermissionDenied

    resource = cat.published(name="cond-two")
    services.resource_update(actor=cat.publisher, resource=resource, openness="conditional")
    application = services.application_submit(
        actor=world.citizen, resource=resource, purpose="研究用途，说明足够长", fields=["企业名称"]
    )
    with pytest.raises(PermissionDenied):
        services.application_approve(actor=cat.yiwu_publisher, application=application)
    application.refresh_from_db()
    assert application.state == "submitted"


def test_console_pages_render(client, cat, password):
    resource = cat.resource()
    cat.load(resource)
    login(client, "xihu_publisher")
    for url in (
        reverse("catalog:my_resources"),
        reverse("catalog:resource_new"),
        reverse("catalog:resource_manage", args=[resource.name]),
        reverse("catalog:resource_edit", args=[resource.name]),
        reverse("catalog:applications"),
        reverse("catalog:load_status", args=[resource.loads.first().pk]),
    ):
        assert client.get(url).status_code == 200, url
    html = client.get(reverse("catalog:resource_manage", args=[resource.name])).content.decode()
    assert "resident_id" in html and "L4" in html
    # Upload through the page (htmx) and poll the job.
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("catalog:upload", args=[resource.name]),
        {"file": SimpleUploadedFile("e.csv", ENTERPRISE_CSV.encode()), "mode": "append"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "succeeded" in response.content.decode() or "成功" in response.content.decode()
    # Confirm all grades through the form, then submit.
    response = client.post(reverse("catalog:fields", args=[resource.name]), {"confirm_all": "1"})
    assert response.status_code == 302
    resource.refresh_from_db()
    assert all(f["confirmed"] for f in resource.current_version.fields)
    client.post(
        reverse("catalog:transition", args=[resource.name]), {"action": "submit", "version": resource.version}
    )
    resource.refresh_from_db()
    assert resource.state == "under_review"
    client.logout()
    login(client, "xihu_dso")
    assert "西湖区企业名录" in client.get(reverse("catalog:review_queue")).content.decode()
    client.post(
        reverse("catalog:transition", args=[resource.name]),
        {"action": "approve", "version": resource.version, "next": "review"},
    )
    resource.refresh_from_db()
    assert resource.state == "published"


def test_create_form_shows_field_errors(client, cat, password):
    login(client, "xihu_publisher")
    response = client.post(reverse("catalog:resource_new"), {"name": "x", "title": ""})
    assert response.status_code == 422


def test_department_page_and_keys_page(client, cat, world, password):
    cat.published()
    html = client.get(reverse("catalog:department", args=[world.xihu_scjg.pk])).content.decode()
    assert "西湖区企业名录" in html
    login(client, "citizen")
    response = client.post(reverse("catalog:my_data"), {"name": "my app"})
    html = response.content.decode()
    secret = re.search(r"ztd_[0-9a-f]{8}_[\w-]+", html).group(0)
    from zhengtong.catalog.services import api_key_authenticate

    assert api_key_authenticate(secret).owner == world.citizen


def test_a_rate_limited_download_page_says_when_to_retry(client, cat, settings):
    resource = cat.published()
    settings.CATALOG_ANON_RATE_LIMIT = 1
    assert client.get(reverse("catalog:download", args=[resource.name, "csv"])).status_code == 200
    response = client.get(reverse("catalog:download", args=[resource.name, "csv"]))
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "rate limit of 1 requests per minute reached" in response.content.decode()


def test_dataset_preview_search_is_ranked_and_highlighted(client, cat):
    resource = cat.published()
    url = reverse("catalog:dataset", args=[resource.name])
    html = client.get(url, {"q": "北山文"}).content.decode()
    assert "<mark>北山文</mark>" in html  # a 3-character query: the trigram index, ranked
    assert "杭州西湖茶叶" not in html and "1 " in html
    html = client.get(url, {"q": "栖霞"}).content.decode()  # 2 characters
    assert "<mark>栖霞</mark>" in html and "北山" not in html
    # masked fields are not searched: the raw representative's name finds nothing publicly
    html = client.get(url, {"q": "330106198506150011"}).content.decode()
    assert "<mark>" not in html
