"""Feeds open work orders in a category: move each feed from the eleven flat work-order codes to
the two-level (GB/T 39666) second-level code that replaced it (workorders migration 0005 moved
the work orders themselves; the mapping is frozen here as there)."""

from django.db import migrations, models

LEGACY = {
    "urban": "0501",
    "environment": "0401",
    "transport": "0601",
    "housing": "0502",
    "market": "0701",
    "labour": "0102",
    "health": "0301",
    "education": "0201",
    "public_security": "0901",
    "government_services": "1101",
    "other": "1201",
}


def _move(apps, mapping):
    Feed = apps.get_model("cockpit", "Feed")
    for old, new in mapping.items():
        Feed.objects.filter(category=old).update(category=new)


def forward(apps, schema_editor):
    _move(apps, LEGACY)


def backward(apps, schema_editor):
    _move(apps, {new: old for old, new in LEGACY.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("workorders", "0005_categories_two_levels"),
        ("cockpit", "0006_covering_store_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="feed",
            name="category",
            field=models.CharField(default="0401", max_length=32, verbose_name="work-order category"),
        ),
        migrations.RunPython(forward, backward),
    ]
