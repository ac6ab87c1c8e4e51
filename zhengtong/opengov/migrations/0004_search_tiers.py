"""PostgreSQL: the full-text index becomes two stored, generated tsvector columns (title, text)
with a GIN index each, for the tiered ranking of zhengtong/opengov/search.py. SQLite keeps its
FTS5 table (migration 0002)."""

from django.db import migrations

from zhengtong.opengov import search


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("opengov", "0003_sla_scan_index")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": search.PG_TIERS_SETUP}),
            _run({"postgresql": search.PG_TIERS_TEARDOWN}),
        )
    ]
