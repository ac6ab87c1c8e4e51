"""End to end through the catalogue's own load path: a CSV with real resident IDs and phones is
loaded, classified, desensitized and published; no compatibility path returns a raw value."""

from __future__ import annotations

import datetime as dt
import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(world, settings, tmp_path):
    from zhengtong.catalog import services
    from zhengtong.core.identifiers import generate_resident_id

    settings.DATASTORE_DIR = str(tmp_path / "store")
    settings.CATALOG_UPLOAD_DIR = str(tmp_path / "uploads")
    publisher = world.staff("publisher", "data_publisher", world.xihu, world.xihu_scjg)
    officer = world.staff("officer", "data_officer", world.xihu)
    ids, phones = [], []
    lines = ["企业名称,法定代表人,法定代表人身份证号,联系电话,备注"]
    for i in range(60):
        rid = generate_resident_id("330106", dt.date(1960, 1, 1) + dt.timedelta(days=97 * i), i)
        phone = f"1390571{i:04d}"
        ids.append(rid)
        phones.append(phone)
        lines.append(f"西湖示例企业{i}号,王{i}明,{rid},{phone},联系人手机{phone}，身份证{rid}")
    path = tmp_path / "enterprises.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    resource = services.resource_create(
        actor=publisher,
        department=world.xihu_scjg,
        name="xihu-enterprises",
        title="西湖区企业名录",
        title_en="Xihu enterprises",
        domain="economy",
        keywords=["企业"],
        openness="unconditional",
    )
    job = services.load_start(actor=publisher, resource=resource, uploaded_file=str(path), run_now=True)
    job.refresh_from_db()
    assert job.state == "succeeded", (job.message, job.errors[:3])
    resource.refresh_from_db()
    services.field_grades_set(actor=publisher, resource=resource, changes={}, confirm_all=True)
    resource.refresh_from_db()
    services.resource_submit(actor=publisher, resource=resource)
    resource.refresh_from_db()
    services.resource_approve(actor=officer, resource=resource)
    return ids + phones


def test_catalogue_loaded_dataset_never_exposes_raw_values(client, loaded):
    outputs = [
        client.get("/data/xihu-enterprises.json", {"_size": "max", "_shape": "objects"}),
        client.get("/data/xihu-enterprises.json", {"_facet": ["法定代表人身份证号", "联系电话"]}),
        client.get("/data/xihu-enterprises.csv"),
        client.get("/data/xihu-enterprises.csv", {"_stream": "on"}),
        client.get("/api/3/action/datastore_search", {"resource_id": "xihu-enterprises", "limit": 100}),
        client.get(
            "/api/3/action/datastore_search",
            {"resource_id": "xihu-enterprises", "records_format": "csv", "limit": 100},
        ),
        client.get(
            "/api/3/action/datastore_search",
            {"resource_id": "xihu-enterprises", "records_format": "lists", "q": "1390571"},
        ),
        client.get("/api/3/action/package_show", {"id": "xihu-enterprises"}),
        client.get("/api/3/action/package_search", {"q": "企业"}),
        client.get("/catalog.ttl"),
        client.get("/dataset/xihu-enterprises.jsonld"),
    ]
    texts = []
    for response in outputs:
        assert response.status_code == 200, response.content[:300]
        body = b"".join(response.streaming_content) if response.streaming else response.content
        texts.append(body.decode("utf-8-sig"))
    assert "西湖示例企业7号" in texts[0]  # the rows are really there
    for text in texts:
        leaked = [value for value in loaded if value in text]
        assert not leaked, leaked[:3]
    # filtering by a raw identifier finds nothing in the public variant
    raw_filter = json.dumps({"法定代表人身份证号": loaded[0]})
    result = client.get(
        "/api/3/action/datastore_search", {"resource_id": "xihu-enterprises", "filters": raw_filter}
    ).json()
    assert result["success"] and result["result"]["records"] == []


def _body_text(response) -> str:
    """The response as text; XLSX and Parquet downloads are opened and their cells joined."""
    import io

    body = b"".join(response.streaming_content) if response.streaming else response.content
    disposition = response.get("Content-Disposition", "")
    if ".xlsx" in disposition:
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
        return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    if ".parquet" in disposition:
        import pyarrow.parquet as pq

        return repr(pq.read_table(io.BytesIO(body)).to_pylist())
    return body.decode("utf-8-sig")


def test_every_other_outward_path_is_desensitized(client, loaded):
    """Portal pages, every download format, the catalogue API, the rest of CKAN, versioned
    Datasette JSON and per-dataset DCAT. (The ad-hoc SQL sandbox, datastore.run_sql, has no public
    route.)"""
    from django.urls import reverse

    name = "xihu-enterprises"
    urls = [
        (reverse("catalog:portal"), {}),
        (reverse("catalog:portal"), {"q": "企业"}),
        (reverse("catalog:dataset", args=[name]), {}),
        *[(reverse("catalog:download", args=[name, fmt]), {}) for fmt in ("csv", "xlsx", "json", "parquet")],
        ("/api/v1/catalog/resources", {"q": "企业"}),
        (f"/api/v1/catalog/resources/{name}", {}),
        (f"/api/v1/catalog/resources/{name}/schema", {}),
        (f"/api/v1/catalog/resources/{name}/versions", {}),
        ("/api/3/action/resource_show", {"id": name}),
        ("/api/3/action/package_search", {"q": "企业", "rows": 10}),
        ("/api/3/action/datastore_search", {"resource_id": name, "q": "王", "limit": 100}),
        ("/api/3/action/datastore_search", {"resource_id": name, "records_format": "tsv", "limit": 100}),
        (f"/data/{name}/1.json", {"_size": "max"}),
        (f"/data/{name}.json", {"_shape": "array", "_size": "max"}),
        (f"/dataset/{name}.ttl", {}),
        ("/catalog.jsonld", {}),
    ]
    department = loaded_department_url(name)
    urls.append((department, {}))
    for url, params in urls:
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        text = _body_text(response)
        leaked = [value for value in loaded if value in text]
        assert not leaked, (url, leaked[:3])
    preview = client.get(reverse("catalog:dataset", args=[name])).content.decode()
    assert "西湖示例企业7号" in preview or "西湖示例企业1号" in preview  # the preview really shows rows


def loaded_department_url(name: str) -> str:
    from django.urls import reverse

    from zhengtong.catalog.models import DataResource

    return reverse("catalog:department", args=[DataResource.objects.get(name=name).department_id])


def test_q_leaves_out_masked_columns_in_the_public_variant(client, loaded):
    """q= searches the columns shown as they are; a masked ID column is not searched (its stars
    and kept digits would only match fragments)."""
    found = client.get(
        "/api/3/action/datastore_search", {"resource_id": "xihu-enterprises", "q": "西湖示例企业7号"}
    ).json()["result"]
    assert [r["企业名称"] for r in found["records"]] == ["西湖示例企业7号"]
    from zhengtong.catalog.compat import common
    from zhengtong.catalog.models import DataResource

    resource = DataResource.objects.get(name="xihu-enterprises")
    table = common.table_for(None, resource)
    searchable = {f["name"]: f.get("searchable", True) for f in common.public_schema(table)["fields"]}
    assert searchable["法定代表人身份证号"] is False and searchable["联系电话"] is False
    assert searchable["企业名称"] is True and searchable["备注"] is True  # scanned free text stays
