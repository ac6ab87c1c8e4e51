"""A dataset's further resources: documents stored for real and served by their grade, API links
tied to the API catalogue, all listed on the dataset page, in CKAN package_show and the API."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhengtong.audit.models import AuditEvent
from zhengtong.catalog import services
from zhengtong.catalog.models import ResourceAttachment
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name="说明.pdf", body=PDF):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _doc(cat, resource, grade="L1", title="数据说明", **kw):
    return services.document_add(
        actor=kw.pop("actor", cat.publisher),
        resource=resource,
        uploaded_file=kw.pop("uploaded_file", pdf()),
        title=title,
        grade=grade,
        **kw,
    )


def _download(client, resource, doc):
    return client.get(reverse("catalog:document", args=[resource.name, doc.pk, doc.file_name]))


def test_a_document_is_stored_for_real_and_served_as_an_attachment(cat, client):
    resource = cat.published()
    doc = _doc(cat, resource, title="字段说明", title_en="Field notes", description="各字段的口径说明")
    stored = Path(doc.file_path)
    assert stored.read_bytes() == PDF
    assert doc.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert (doc.file_size, doc.file_format, doc.media_type) == (len(PDF), "pdf", "application/pdf")
    assert AuditEvent.objects.filter(action="catalog.attachment.add").count() == 1
    response = _download(client, resource, doc)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_document_whose_content_is_not_its_extension_is_refused_and_nothing_kept(cat):
    resource = cat.published()
    with pytest.raises(ValidationError) as exc:
        _doc(cat, resource, uploaded_file=pdf("evil.pdf", b"MZ\x90\x00 not a pdf"))
    assert "file" in exc.value.fields and "content" in exc.value.fields["file"][0]
    with pytest.raises(ValidationError) as exc:
        _doc(cat, resource, uploaded_file=pdf("tool.exe", b"MZ"))
    assert "file" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        _doc(cat, resource, grade="L9")
    assert "grade" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        _doc(cat, resource, title=" ")
    assert "title" in exc.value.fields
    assert not ResourceAttachment.objects.exists()
    from django.conf import settings

    folder = Path(settings.CATALOG_UPLOAD_DIR) / str(resource.pk) / "documents"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_document_larger_than_the_limit_is_refused(cat, settings):
    settings.CATALOG_DOCUMENT_MAX_BYTES = 1024
    resource = cat.published()
    with pytest.raises(ValidationError) as exc:
        _doc(cat, resource, uploaded_file=pdf(body=PDF + b"0" * 2000))
    assert "file" in exc.value.fields
    assert not ResourceAttachment.objects.exists()


def test_another_departments_publisher_cannot_attach_or_remove_and_nothing_changes(cat):
    resource = cat.published()
    with pytest.raises(PermissionDenied):
        _doc(cat, resource, actor=cat.yiwu_publisher)
    with pytest.raises(PermissionDenied):
        services.api_link_add(
            actor=cat.yiwu_publisher, resource=resource, url="https://api.example.gov.cn/x", title="接口"
        )
    assert not ResourceAttachment.objects.exists()
    doc = _doc(cat, resource)
    with pytest.raises(PermissionDenied):
        services.attachment_remove(actor=cat.yiwu_publisher, attachment=doc)
    assert ResourceAttachment.objects.filter(pk=doc.pk).exists()
    assert Path(doc.file_path).exists()


def test_removing_a_document_deletes_its_file(cat, django_capture_on_commit_callbacks):
    resource = cat.published()
    doc = _doc(cat, resource)
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_remove(actor=cat.publisher, attachment=doc)
    assert not ResourceAttachment.objects.exists()
    assert not Path(doc.file_path).exists()


def test_a_retired_dataset_takes_no_documents(cat):
    resource = cat.published()
    services.resource_retire(actor=cat.publisher, resource=resource, note="停止更新")
    resource.refresh_from_db()
    with pytest.raises(Conflict):
        _doc(cat, resource)
    assert not ResourceAttachment.objects.exists()


def test_documents_are_served_by_their_grade(cat, world, client):
    """L1 on an open dataset: anyone. L2/L3: the dataset's approved applicants (conditional
    openness). L4: the department's staff only. Drafts: staff only."""
    resource = cat.published()
    services.resource_update(actor=cat.publisher, resource=resource, openness="conditional")
    resource.refresh_from_db()
    l1, l2, l4 = (_doc(cat, resource, grade=g, title=f"{g}文档") for g in ("L1", "L2", "L4"))
    # conditional dataset: even an L1 document needs the approved application
    for doc in (l1, l2, l4):
        assert _download(client, resource, doc).status_code == 403
    login(client, world.citizen)
    for doc in (l1, l2, l4):
        assert _download(client, resource, doc).status_code == 403
    application = services.application_submit(
        actor=world.citizen, resource=resource, purpose="研究西湖区企业分布情况用于论文", fields=["企业名称"]
    )
    assert _download(client, resource, l2).status_code == 403  # not decided yet
    services.application_approve(actor=cat.publisher, application=application)
    assert _download(client, resource, l1).status_code == 200
    assert _download(client, resource, l2).status_code == 200
    assert _download(client, resource, l4).status_code == 403
    login(client, cat.yiwu_publisher)  # staff, but of another county: a member of the public here
    assert _download(client, resource, l4).status_code == 403
    login(client, cat.publisher)
    assert _download(client, resource, l4).status_code == 200


def test_on_an_open_dataset_an_l1_document_is_public_and_an_l2_one_is_not(cat, client):
    resource = cat.published()
    l1, l2 = _doc(cat, resource, grade="L1"), _doc(cat, resource, grade="L2", title="内部口径")
    assert _download(client, resource, l1).status_code == 200
    assert _download(client, resource, l2).status_code == 403
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert f'data-resource="document-{l1.pk}"' in html and f'data-resource="document-{l2.pk}"' in html
    assert reverse("catalog:document", args=[resource.name, l1.pk, l1.file_name]) in html
    assert reverse("catalog:document", args=[resource.name, l2.pk, l2.file_name]) not in html


def test_a_draft_datasets_documents_are_not_public(cat, client):
    resource = cat.resource(name="draft-doc")
    doc = _doc(cat, resource)
    assert _download(client, resource, doc).status_code == 404  # the draft itself is not visible
    login(client, cat.publisher)
    assert _download(client, resource, doc).status_code == 200


def test_an_api_link_is_tied_to_the_catalogued_api_it_starts_with(cat, world):
    resource = cat.published()
    service = services.dataservice_create(
        actor=cat.publisher,
        department=world.xihu_scjg,
        name="enterprise-lookup",
        title="企业信息核验接口",
        base_url="https://api.example.gov.cn/enterprise",
    )
    link = services.api_link_add(
        actor=cat.publisher,
        resource=resource,
        url="https://api.example.gov.cn/enterprise/v1/check",
        title="核验",
        description="按统一社会信用代码核验企业",
    )
    assert link.dataservice == service
    other = services.api_link_add(
        actor=cat.publisher, resource=resource, url="https://elsewhere.example.org/api", title="外部"
    )
    assert other.dataservice is None
    with pytest.raises(ValidationError) as exc:
        services.api_link_add(
            actor=cat.publisher, resource=resource, url="https://x.example/", title="t", dataservice="nope"
        )
    assert "dataservice" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        services.api_link_add(actor=cat.publisher, resource=resource, url="javascript:alert(1)", title="t")
    assert "url" in exc.value.fields
    assert ResourceAttachment.objects.filter(kind="api").count() == 2


def _setup_all(cat, world):
    resource = cat.published()
    doc = _doc(cat, resource, title="数据说明", title_en="About the data")
    hidden = _doc(cat, resource, grade="L4", title="内部文件")
    service = services.dataservice_create(
        actor=cat.publisher,
        department=world.xihu_scjg,
        name="enterprise-lookup",
        title="企业信息核验接口",
        base_url="https://api.example.gov.cn/enterprise",
        datasets=[resource.name],
    )
    link = services.api_link_add(
        actor=cat.publisher, resource=resource, url="https://elsewhere.example.org/api", title="外部接口"
    )
    return resource, doc, hidden, service, link


def test_ckan_package_show_lists_every_resource(cat, world, client):
    resource, doc, hidden, service, link = _setup_all(cat, world)
    body = client.get("/api/3/action/package_show", {"id": resource.name}).json()
    resources = body["result"]["resources"]
    kinds = [(r["resource_type"], r["format"]) for r in resources]
    assert kinds == [
        ("datastore", "CSV"),
        ("dictionary", "CSV"),
        ("document", "PDF"),
        ("document", "PDF"),
        ("api", "API"),
        ("api", "API"),
    ]
    assert [r["position"] for r in resources] == list(range(6))
    assert body["result"]["num_resources"] == 6
    by_id = {r["id"]: r for r in resources}
    shown = by_id[f"{resource.name}:document-{doc.pk}"]
    assert shown["access"] is True and shown["grade"] == "L1" and shown["name_en"] == "About the data"
    assert shown["url"].endswith(reverse("catalog:document", args=[resource.name, doc.pk, doc.file_name]))
    assert by_id[f"{resource.name}:document-{hidden.pk}"]["access"] is False
    assert by_id[f"{resource.name}:service-{service.name}"]["dataservice"] == service.name
    assert by_id[f"{resource.name}:api-{link.pk}"]["url"] == "https://elsewhere.example.org/api"


def test_the_api_lists_distributions_and_serves_documents_by_grade(cat, world, client):
    resource, doc, hidden, service, link = _setup_all(cat, world)
    items = client.get(f"/api/v1/catalog/resources/{resource.name}/distributions").json()
    assert [i["id"] for i in items] == [
        "table",
        "dictionary",
        f"document-{doc.pk}",
        f"document-{hidden.pk}",
        f"api-{link.pk}",
        f"service-{service.name}",
    ]
    assert [i["allowed"] for i in items] == [True, True, True, False, True, True]
    ok = client.get(f"/api/v1/catalog/resources/{resource.name}/documents/{doc.pk}")
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == PDF
    denied = client.get(f"/api/v1/catalog/resources/{resource.name}/documents/{hidden.pk}")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    missing = client.get(f"/api/v1/catalog/resources/{resource.name}/documents/{link.pk}")
    assert missing.status_code == 404
    services_list = client.get("/api/v1/catalog/dataservices").json()
    assert [(s["name"], s["datasets"], s["licence"]) for s in services_list] == [
        ("enterprise-lookup", [resource.name], "CC-BY-4.0")
    ]


def test_the_api_attaches_and_removes_as_the_publisher_only(cat, world, client):
    resource = cat.published()
    url = f"/api/v1/catalog/resources/{resource.name}"
    anonymous = client.post(
        f"{url}/api-links", json.dumps({"url": "https://a.example/x", "title": "x"}), "application/json"
    )
    assert anonymous.status_code == 401
    login(client, cat.yiwu_publisher)
    denied = client.post(f"{url}/documents", {"file": pdf(), "title": "说明", "grade": "L1"})
    assert denied.status_code == 403
    assert not ResourceAttachment.objects.exists()
    login(client, cat.publisher)
    bad = client.post(f"{url}/documents", {"file": pdf("x.exe", b"MZ"), "title": "说明"})
    assert bad.status_code == 422 and "file" in bad.json()["error"]["details"]["fields"]
    created = client.post(f"{url}/documents", {"file": pdf(), "title": "说明", "grade": "L2"})
    assert created.status_code == 201, created.content
    assert (
        created.json()["grade"] == "L2" and created.json()["file_sha256"] == hashlib.sha256(PDF).hexdigest()
    )
    link = client.post(
        f"{url}/api-links", json.dumps({"url": "https://a.example/x", "title": "接口"}), "application/json"
    )
    assert link.status_code == 201
    removed = client.delete(f"{url}/attachments/{link.json()['id']}")
    assert removed.status_code == 204
    assert list(ResourceAttachment.objects.values_list("kind", flat=True)) == ["document"]


def test_the_manage_page_attaches_documents_and_links(cat, client):
    resource = cat.published()
    login(client, cat.publisher)
    page = client.get(reverse("catalog:resource_manage", args=[resource.name]))
    assert page.status_code == 200 and 'id="document-form"' in page.content.decode()
    response = client.post(
        reverse("catalog:document_add", args=[resource.name]),
        {"doc-file": pdf(), "doc-title": "数据说明", "doc-grade": "L1"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("catalog:api_link_add", args=[resource.name]),
        {"api-url": "https://a.example/x", "api-title": "接口"},
    )
    assert response.status_code == 302
    assert sorted(ResourceAttachment.objects.values_list("kind", flat=True)) == ["api", "document"]
    html = client.get(reverse("catalog:dataset", args=[resource.name])).content.decode()
    assert "数据说明" in html and "https://a.example/x" in html
