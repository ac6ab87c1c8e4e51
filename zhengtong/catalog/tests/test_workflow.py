from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.catalog import selectors, services
from zhengtong.catalog.models import DataResource, ResourceVersion
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.datastore import engine
from zhengtong.datastore.engine import store as datastore_store


def test_create_denied_outside_scope_creates_nothing(cat, world):
    with pytest.raises(PermissionDenied):
        services.resource_create(
            actor=cat.yiwu_publisher, department=world.xihu_scjg, name="x-data", title="X"
        )
    with pytest.raises(PermissionDenied):
        services.resource_create(actor=world.citizen, department=world.xihu_scjg, name="x-data", title="X")
    assert DataResource.objects.count() == 0


def test_bad_metadata_names_the_field(cat):
    with pytest.raises(ValidationError) as exc:
        cat.resource(name="Bad Name!")
    assert "name" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        cat.resource(name="ok-name", domain="astrology", temporal_start="2024-02-30")
    assert set(exc.value.fields) == {"domain", "temporal_start"}


def test_submit_needs_confirmed_fields(cat):
    resource = cat.resource()
    with pytest.raises(ValidationError):
        services.resource_submit(actor=cat.publisher, resource=resource)
    cat.load(resource)
    resource.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.resource_submit(actor=cat.publisher, resource=resource)
    assert "法定代表人身份证号" in exc.value.message
    resource.refresh_from_db()
    assert resource.state == "draft"


def test_full_lifecycle_is_audited(cat):
    resource = cat.published()
    assert resource.state == "published"
    assert resource.published_at is not None
    actions = list(
        AuditEvent.objects.filter(target_type="catalog.dataresource", target_id=str(resource.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[0] == "catalog.resource.create"
    assert "catalog.resource.fields" in actions
    assert actions[-2:] == ["catalog.resource.submit", "catalog.resource.approve"]
    services.resource_retire(actor=cat.publisher, resource=resource, note="superseded")
    resource.refresh_from_db()
    assert resource.state == "retired"


def test_publisher_cannot_approve_own_resource(cat):
    resource = cat.resource()
    cat.load(resource)
    resource.refresh_from_db()
    services.field_grades_set(actor=cat.publisher, resource=resource, changes={}, confirm_all=True)
    resource.refresh_from_db()
    services.resource_submit(actor=cat.publisher, resource=resource)
    before = resource.version
    with pytest.raises(PermissionDenied):
        services.resource_approve(actor=cat.publisher, resource=resource)
    resource.refresh_from_db()
    assert resource.state == "under_review" and resource.version == before
    with pytest.raises(ValidationError):
        services.resource_reject(actor=cat.officer, resource=resource, note="")
    services.resource_reject(actor=cat.officer, resource=resource, note="地址字段需脱敏")
    resource.refresh_from_db()
    assert resource.state == "draft"


def test_stale_version_conflicts(cat):
    resource = cat.resource()
    with pytest.raises(Conflict):
        services.resource_retire(actor=cat.publisher, resource=resource, note="x")


def test_grade_override_is_audited_and_makes_new_version(cat):
    resource = cat.resource()
    cat.load(resource)
    resource.refresh_from_db()
    v1 = resource.current_version
    version = services.field_grades_set(
        actor=cat.publisher,
        resource=resource,
        changes={"法定代表人": {"grade": "L2", "policy": {"op": "suppress"}}, "企业名称": {"grade": "L1"}},
        note="法定代表人姓名不公开",
    )
    assert version.number == v1.number + 1
    fields = {f["name"]: f for f in version.fields}
    assert fields["法定代表人"]["grade"] == "L2" and fields["法定代表人"]["policy"] == {"op": "suppress"}
    assert fields["法定代表人"]["confirmed"] is True
    assert fields["企业名称"]["confirmed"] is True
    event = AuditEvent.objects.get(action="catalog.resource.fields")
    assert event.before["法定代表人"]["grade"] == v1.schema["fields"][2]["grade"]
    assert event.after["法定代表人"]["grade"] == "L2"
    from zhengtong.datastore import engine

    rows = engine.query(
        version.table_key, version.store_version, "public", schema=version.schema, limit=5
    ).rows
    assert all(not r.get("法定代表人") for r in rows)


def test_grade_override_denied_changes_nothing(cat, world):
    resource = cat.resource()
    cat.load(resource)
    resource.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.field_grades_set(
            actor=cat.yiwu_publisher, resource=resource, changes={"企业名称": {"grade": "L4"}}
        )
    assert ResourceVersion.objects.filter(resource=resource).count() == 1
    with pytest.raises(ValidationError):
        services.field_grades_set(actor=cat.publisher, resource=resource, changes={"nope": {"grade": "L4"}})
    with pytest.raises(ValidationError):
        services.field_grades_set(
            actor=cat.publisher, resource=resource, changes={"企业名称": {"grade": "L9"}}
        )
    assert ResourceVersion.objects.filter(resource=resource).count() == 1


def test_openness_may_not_exceed_grade(cat):
    resource = cat.resource()
    cat.load(resource)
    resource.refresh_from_db()
    services.field_grades_set(
        actor=cat.publisher,
        resource=resource,
        changes={"联系电话": {"policy": {"op": "keep"}}},
        confirm_all=True,
    )
    resource.refresh_from_db()
    assert resource.grade == "L3"
    with pytest.raises(ValidationError) as exc:
        services.resource_submit(actor=cat.publisher, resource=resource)
    assert "openness" in exc.value.fields
    services.resource_update(actor=cat.publisher, resource=resource, openness="conditional")
    services.resource_submit(actor=cat.publisher, resource=resource)
    with pytest.raises(ValidationError):
        services.resource_update(actor=cat.publisher, resource=resource, openness="unconditional")


def test_visibility(cat, world):
    draft = cat.resource(name="draft-one")
    published = cat.published(name="open-one")
    closed = cat.published(name="closed-one")
    DataResource.objects.filter(pk=closed.pk).update(openness="closed")
    anonymous = selectors.resource_search(user=None)
    assert [r.name for r in anonymous.items] == ["open-one"]
    staff = selectors.resource_search(user=cat.publisher)
    assert {r.name for r in staff.items} == {"draft-one", "open-one", "closed-one"}
    assert {r.name for r in selectors.resource_search(user=cat.yiwu_publisher).items} == {"open-one"}
    with pytest.raises(Exception):
        selectors.resource_get(user=None, name_or_id=draft.name)
    assert selectors.resource_get(user=None, name_or_id=published.name) == published
    assert selectors.served_variant(user=None, resource=published) == "public"
    assert selectors.served_variant(user=cat.officer, resource=published) == "raw"
    assert selectors.served_variant(user=cat.publisher, resource=published) == "public"


def test_search_chinese_substring_facets_and_keyset(cat):
    for i in range(5):
        cat.published(name=f"dataset-{i}")
    result = selectors.resource_search(user=None, q="企业名", limit=2)  # no segmentation needed
    assert result.total == 5 and len(result.items) == 2
    assert result.facets["domain"][0][0] == "economy" and result.facets["domain"][0][2] == 5
    seen = [r.name for r in result.items]
    cursor = result.next_cursor
    while cursor:
        page = selectors.resource_search(user=None, q="企业名", limit=2, cursor=cursor)
        seen += [r.name for r in page.items]
        cursor = page.next_cursor
    assert sorted(seen) == [f"dataset-{i}" for i in range(5)]
    assert selectors.resource_search(user=None, q="身份证号").total == 5  # field names are searchable
    assert selectors.resource_search(user=None, q="空气质量").total == 0
    assert selectors.resource_search(user=None, filters={"domain": ["transport"]}).total == 0
    titles = [r.name for r in selectors.resource_search(user=None, sort="title").items]
    assert len(titles) == 5
    with pytest.raises(ValidationError):
        selectors.resource_search(user=None, sort="bogus")
    with pytest.raises(ValidationError):
        selectors.resource_search(user=None, cursor="forged")


def test_retire_removes_the_served_indexes_and_approval_restores_them(
    cat, django_capture_on_commit_callbacks
):
    resource = cat.published()
    version = resource.current_version
    key, number = version.table_key, version.store_version
    assert datastore_store.structures(key, number, "public") is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_retire(actor=cat.publisher, resource=resource, note="superseded")
    assert datastore_store.structures(key, number, "public") is None
    assert engine.active_version(key) is None
    # the data stays readable (by a scan) for history and downloads
    assert engine.query(key, number, "public", schema=version.schema, limit=1).engine == "duckdb"
    resource.refresh_from_db()
    services.resource_reopen(actor=cat.publisher, resource=resource, note="back")
    resource.refresh_from_db()
    services.resource_submit(actor=cat.publisher, resource=resource)
    resource.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_approve(actor=cat.officer, resource=resource)
    assert datastore_store.structures(key, number, "public") is not None
    assert engine.active_version(key) == number
