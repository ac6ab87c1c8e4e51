"""The full-text index of disclosure documents: an FTS5 table on SQLite, a GIN expression index
on PostgreSQL (see zhengtong/opengov/search.py)."""

from django.db import migrations

from zhengtong.opengov import search


def _run(statements_by_vendor):
    def apply(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("opengov", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": search.SQLITE_SETUP, "postgresql": search.PG_SETUP}),
            _run({"sqlite": search.SQLITE_TEARDOWN, "postgresql": search.PG_TEARDOWN}),
        )
    ]
