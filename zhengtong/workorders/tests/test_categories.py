"""The two-level 12345 categories (GB/T 39666): the seed and the move from the eleven flat codes,
validation of the category a new work order takes, grouping by first level, routing by a
first-level rule."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.workorders import categories, selectors, services
from zhengtong.workorders.models import Category, RoutingRule, WorkOrder

MIGRATION = importlib.import_module("zhengtong.workorders.migrations.0005_categories_two_levels")
COCKPIT_MIGRATION = importlib.import_module("zhengtong.cockpit.migrations.0007_feed_category_gbt39666")


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def open_order(ww, category="0701", **kw):
    return services.work_order_open(
        actor=ww.citizen,
        requester=ww.citizen,
        kind="complaint",
        category=category,
        title="超市出售过期食品",
        description="北山街道某超市出售过期牛奶",
        region=kw.pop("region", ww.village),
        **kw,
    )


def test_seed_is_two_levels_and_the_migration_matches_the_module(ww):
    assert MIGRATION.TREE == categories.TREE and MIGRATION.LEGACY == categories.LEGACY
    assert COCKPIT_MIGRATION.LEGACY == categories.LEGACY
    assert categories.categories_ensure() == 0  # the migration (and the world) seeded them all
    tops = list(Category.objects.filter(parent=None).values_list("code", flat=True))
    assert tops == [f"{n:02d}" for n in range(1, 13)]
    for sub in Category.objects.exclude(parent=None).select_related("parent"):
        assert len(sub.code) == 4 and sub.code[:2] == sub.parent.code
    assert Category.objects.get(code="0701").name == "消费维权"


def test_each_legacy_code_maps_to_an_open_second_level_category(ww):
    assert sorted(categories.LEGACY) == sorted(
        [
            "urban",
            "environment",
            "transport",
            "housing",
            "market",
            "labour",
            "health",
            "education",
            "public_security",
            "government_services",
            "other",
        ]
    )
    assert set(categories.LEGACY.values()) <= set(selectors.category_codes())


def test_migration_moves_work_orders_and_rules_and_back(ww):
    market = open_order(ww)
    housing = open_order(ww, category="0502")
    # Rows as they were before 0005: the flat codes.
    WorkOrder.objects.filter(pk=market.pk).update(category="market")
    WorkOrder.objects.filter(pk=housing.pk).update(category="housing")
    RoutingRule.objects.filter(domain="workorders", category="0701").update(category="market")
    grid_rule = RoutingRule.objects.create(
        domain="grid", category="market", region=ww.xihu, target_unit=ww.beishan
    )

    MIGRATION.forward(django_apps, None)

    assert WorkOrder.objects.get(pk=market.pk).category == "0701"
    assert WorkOrder.objects.get(pk=housing.pk).category == "0502"
    assert sorted(RoutingRule.objects.filter(domain="workorders").values_list("category", flat=True)) == [
        "0701",
        "0701",
        "0901",
    ]
    assert RoutingRule.objects.get(pk=grid_rule.pk).category == "market"  # another domain's codes
    assert Category.objects.count() == sum(1 + len(children) for *_x, children in categories.TREE)

    MIGRATION.backward(django_apps, None)
    assert WorkOrder.objects.get(pk=market.pk).category == "market"
    assert sorted(RoutingRule.objects.filter(domain="workorders").values_list("category", flat=True)) == [
        "market",
        "market",
        "public_security",
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("market", "unknown category"),  # a flat code from before: no longer a category
        ("9999", "unknown category"),
        ("07", "not open for new work orders"),  # a first level
    ],
)
def test_unknown_or_first_level_category_is_refused_naming_the_field(ww, code, message):
    with pytest.raises(ValidationError) as exc:
        open_order(ww, category=code)
    assert list(exc.value.fields) == ["category"] and message in str(exc.value.fields["category"])
    assert not WorkOrder.objects.exists()


def test_closed_category_is_refused_for_new_orders_and_kept_on_old_ones(
    ww, django_capture_on_commit_callbacks
):
    old = open_order(ww)
    with pytest.raises(PermissionDenied):  # a county handler does not manage the platform's list
        services.category_set_active(actor=ww.scjg_handler, code="0701", active=False)
    assert Category.objects.get(code="0701").active
    with django_capture_on_commit_callbacks(execute=True):
        services.category_set_active(actor=ww.system, code="0701", active=False)
    assert AuditEvent.objects.filter(action="workorders.category.set_active").count() == 1
    assert "0701" not in selectors.category_codes()
    with pytest.raises(ValidationError) as exc:
        open_order(ww)
    assert "category" in exc.value.fields
    assert WorkOrder.objects.count() == 1
    old.refresh_from_db()
    assert old.category == "0701" and old.category_label == "Consumer rights"
    # Closing a first level closes its children for new orders.
    with django_capture_on_commit_callbacks(execute=True):
        services.category_set_active(actor=ww.system, code="09", active=False)
    assert not {"0901", "0902", "0903"} & set(selectors.category_codes())
    assert "09" not in [code for code, *_x in selectors.category_tree()]


def test_api_and_form_refuse_a_bad_category_with_the_field_named(ww):
    client = login(ww.citizen)
    body = {
        "kind": "complaint",
        "category": "market",
        "title": "t",
        "description": "d",
        "region": "330106002001",
    }
    r = client.post("/api/v1/workorders", body, content_type="application/json")
    assert r.status_code in (400, 422)
    assert list(r.json()["error"]["details"]["fields"]) == ["category"]
    r = client.post("/workorders/new/", {**body, "category": "07"})
    assert r.status_code == 200
    assert "category" in r.context["form"].errors
    assert not WorkOrder.objects.exists()


def test_portal_form_groups_categories_by_first_level(ww):
    html = login(ww.citizen).get("/workorders/new/").content.decode()
    assert '<optgroup label="Commerce and consumer rights">' in html
    assert '<option value="0701">Consumer rights</option>' in html
    assert 'value="07"' not in html  # first levels are headings, not choices


def test_api_lists_categories_grouped(ww, client):
    body = client.get("/api/v1/workorders/categories").json()
    groups = {g["code"]: g for g in body["groups"]}
    assert list(groups)[0] == "01" and len(groups) == 12
    assert [c["code"] for c in groups["07"]["categories"]] == ["0701", "0702", "0703"]
    flat = {c["code"]: c["group"] for c in body["categories"]}
    assert flat["0701"] == "07" and "07" not in flat


def test_first_level_rule_routes_its_second_level_categories(ww):
    # Food safety (0702) has no rule of its own: the first-level rule (07) applies; the
    # second-level rule (0701) still beats it.
    services.routing_rule_set(actor=ww.system, category="07", region=ww.xihu, department=ww.xihu_gaj)
    assert services.route("0702", ww.village) == ww.xihu_gaj
    assert services.route("0701", ww.village) == ww.xihu_scjg
    assert open_order(ww, category="0702").department == ww.xihu_gaj
    with pytest.raises(ValidationError) as exc:
        services.routing_rule_set(actor=ww.system, category="market", region=ww.xihu, department=ww.xihu_gaj)
    assert "category" in exc.value.fields


def test_analysis_and_worklist_group_by_first_level(ww):
    open_order(ww, category="0701")
    open_order(ww, category="0702")
    open_order(ww, category="0901")
    a = selectors.analysis(ww.xihu_supervisor, days=7)
    assert [(r["code"], r["count"]) for r in a["by_category"]] == [("0701", 1), ("0702", 1), ("0901", 1)]
    assert [(r["code"], r["label"], r["count"]) for r in a["by_first_level"]] == [
        ("07", "Commerce and consumer rights", 2),
        ("09", "Public safety and order", 1),
    ]
    assert selectors.worklist(ww.xihu_supervisor, filters={"category": "07"}).count() == 2
    assert selectors.worklist(ww.xihu_supervisor, filters={"category": "0702"}).count() == 1


def test_category_page_and_api_open_and_close_for_the_province_only(ww, django_capture_on_commit_callbacks):
    province_supervisor = ww.staff("prov_wo_supervisor", "supervisor", ww.province)
    # A county supervisor sees the list but may not change it: no buttons, refusals change nothing.
    county = login(ww.xihu_supervisor)
    page = county.get("/console/workorders/categories/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Consumer rights" in html and 'name="active"' not in html
    assert county.post("/console/workorders/categories/", {"code": "0701", "active": "0"}).status_code == 302
    r = county.post(
        "/api/v1/workorders/categories/all/0701", {"active": False}, content_type="application/json"
    )
    assert r.status_code == 403
    assert Category.objects.get(code="0701").active
    assert not AuditEvent.objects.filter(action="workorders.category.set_active").exists()
    # A citizen may not even read the staff list.
    assert login(ww.citizen).get("/api/v1/workorders/categories/all").status_code == 403
    # The province supervisor closes a second level on the page, and a first level by the API.
    prov = login(province_supervisor)
    assert 'name="active"' in prov.get("/console/workorders/categories/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = prov.post("/console/workorders/categories/", {"code": "0701", "active": "0"})
    assert r.status_code == 302
    assert not Category.objects.get(code="0701").active
    with django_capture_on_commit_callbacks(execute=True):
        r = prov.post(
            "/api/v1/workorders/categories/all/09", {"active": False}, content_type="application/json"
        )
    assert r.status_code == 200
    assert r.json() == {"code": "09", "label": "Public safety and order", "active": False, "open": False}
    listed = {g["code"]: g for g in prov.get("/api/v1/workorders/categories/all").json()}
    assert len(listed) == 12
    assert [(c["code"], c["active"], c["open"]) for c in listed["07"]["children"]][:2] == [
        ("0701", False, False),
        ("0702", True, True),
    ]
    assert {(c["active"], c["open"]) for c in listed["09"]["children"]} == {(True, False)}
    assert AuditEvent.objects.filter(action="workorders.category.set_active").count() == 2
    # Unknown codes are a 404 with nothing written.
    r = prov.post("/api/v1/workorders/categories/all/99", {"active": True}, content_type="application/json")
    assert r.status_code == 404
    assert AuditEvent.objects.filter(action="workorders.category.set_active").count() == 2
    # Reopened: offered again for new work orders.
    with django_capture_on_commit_callbacks(execute=True):
        prov.post("/console/workorders/categories/", {"code": "0701", "active": "1"})
    assert "0701" in selectors.category_codes()
