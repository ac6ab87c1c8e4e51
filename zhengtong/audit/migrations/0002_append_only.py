"""Make the audit table append-only in the database itself (see zhengtong.audit.db)."""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from zhengtong.audit.db import enforce_append_only

    # The test runner empties tables between tests; the trigger tests install the same SQL.
    if not getattr(settings, "TESTING", False):
        enforce_append_only(schema_editor.connection, tables=("audit_auditevent",))


def backwards(apps, schema_editor):
    from zhengtong.audit.db import lift_append_only

    lift_append_only(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
