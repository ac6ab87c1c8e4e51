"""Grid's routing rules move into the one routing table, ``workorders.RoutingRule`` (domain
"grid", category = the grid category's code, "" for any category; org_unit → region). Where
two grid rules had the same category and place, the older one won the routing before; it is the
one kept."""

from django.db import migrations


def move_rules(apps, schema_editor):
    GridRule = apps.get_model("grid", "RoutingRule")
    SharedRule = apps.get_model("workorders", "RoutingRule")
    seen = set()
    rows = []
    for rule in GridRule.objects.select_related("category").order_by("id"):
        category = rule.category.code if rule.category_id else ""
        key = (category, rule.org_unit_id)
        if key in seen or (rule.department_id is None) == (rule.target_unit_id is None):
            continue
        seen.add(key)
        if SharedRule.objects.filter(domain="grid", category=category, region_id=rule.org_unit_id).exists():
            continue
        rows.append(
            SharedRule(
                domain="grid",
                category=category,
                region_id=rule.org_unit_id,
                department_id=rule.department_id,
                target_unit_id=rule.target_unit_id,
            )
        )
    SharedRule.objects.bulk_create(rows)


def move_back(apps, schema_editor):
    GridRule = apps.get_model("grid", "RoutingRule")
    SharedRule = apps.get_model("workorders", "RoutingRule")
    Category = apps.get_model("grid", "Category")
    categories = dict(Category.objects.values_list("code", "pk"))
    for rule in SharedRule.objects.filter(domain="grid").order_by("id"):
        GridRule.objects.create(
            category_id=categories.get(rule.category) if rule.category else None,
            org_unit_id=rule.region_id,
            department_id=rule.department_id,
            target_unit_id=rule.target_unit_id,
        )
    SharedRule.objects.filter(domain="grid").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grid", "0004_incident_hour_clock_in_core_sla"),
        ("workorders", "0002_routing_rule_for_grid"),
    ]

    operations = [
        migrations.RunPython(move_rules, move_back),
        migrations.DeleteModel(name="RoutingRule"),
    ]
