"""Add ``AuditEvent.via`` (the module through which an actor's action had a system effect).

On SQLite, adding a column rebuilds the table, which drops its append-only triggers: they are
re-installed afterwards (outside tests, like 0002). PostgreSQL adds the column in place and its
row triggers do not fire. Existing events keep their hashes: ``via`` is hashed only when set.
"""

from django.conf import settings
from django.db import migrations, models

from zhengtong.audit.db import enforce_append_only


def reinstall_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite" and not getattr(settings, "TESTING", False):
        enforce_append_only(schema_editor.connection, tables=("audit_auditevent",))


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditevent_auditevent_path_prefix")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="via",
            field=models.CharField(blank=True, default="", max_length=40, verbose_name="via"),
        ),
        migrations.RunPython(reinstall_triggers, migrations.RunPython.noop),
    ]
