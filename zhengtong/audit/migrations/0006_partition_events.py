"""Audit events partitioned by month on PostgreSQL (core.partitions; a no-op on SQLite).

The append-only trigger goes with the old table; it is installed again on the new one where it was
installed (everywhere but the test database, see zhengtong.audit.db)."""

from django.db import migrations

from zhengtong.audit import db
from zhengtong.core import partitions


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_event_no_change'")
        enforced = cursor.fetchone()[0] > 0
    partitions.partition_table("audit_auditevent", "occurred_at", conn=conn)
    if enforced:
        db.enforce_append_only(conn, tables=("audit_auditevent",))


class Migration(migrations.Migration):
    atomic = True
    dependencies = [("audit", "0005_merkle_log")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
