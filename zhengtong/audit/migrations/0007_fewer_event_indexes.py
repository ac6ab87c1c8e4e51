"""Fewer indexes on audit events: every audited write updates each of them (issue 16).

- ``hash``: nothing looks events up by hash (the log reads hashes by event id); its two indexes
  (plain and ``_like``) go.
- ``org_unit_path``: scoped reads are prefix searches, served by ``auditevent_path_prefix``
  (``varchar_pattern_ops``; a plain index on SQLite, where scoped reads are a range). The field's
  own two indexes (plain and ``_like``, the latter identical to ``auditevent_path_prefix``) go.
- ``action``: selectors filter by ``action__in`` and ``action__startswith``; one
  ``varchar_pattern_ops`` index serves both (its ``=`` is the text equality). On PostgreSQL the
  field's ``_like`` index is that index already: it is renamed, not built again; the plain one goes.

The schema editor would rebuild the table on SQLite for these field changes (dropping its
append-only triggers) and build the action index again on PostgreSQL, so the indexes are dropped
and renamed here by name (Django's names for the field indexes), and the models' state follows.
Dropping a partitioned table's index drops its partitions' indexes too.
"""

from django.db import migrations, models

TABLE = "audit_auditevent"
# Django's names for the fields' indexes (``db_index=True``), "_like" the varchar_pattern_ops one.
HASH, PATH, ACTION = (
    "audit_auditevent_hash_d0c402da",
    "audit_auditevent_org_unit_path_127a270f",
    "audit_auditevent_action_2131bb77",
)
ACTION_PREFIX = "auditevent_action_prefix"

FORWARDS = {
    "postgresql": [
        f'DROP INDEX IF EXISTS "{HASH}", "{HASH}_like", "{PATH}", "{PATH}_like", "{ACTION}"',
        f'ALTER INDEX "{ACTION}_like" RENAME TO "{ACTION_PREFIX}"',
    ],
    "sqlite": [
        f'DROP INDEX IF EXISTS "{HASH}"',
        f'DROP INDEX IF EXISTS "{PATH}"',
        f'DROP INDEX IF EXISTS "{ACTION}"',
        f'CREATE INDEX "{ACTION_PREFIX}" ON "{TABLE}" ("action")',
    ],
}
BACKWARDS = {
    "postgresql": [
        f'ALTER INDEX "{ACTION_PREFIX}" RENAME TO "{ACTION}_like"',
        f'CREATE INDEX "{ACTION}" ON "{TABLE}" ("action")',
        f'CREATE INDEX "{PATH}" ON "{TABLE}" ("org_unit_path")',
        f'CREATE INDEX "{PATH}_like" ON "{TABLE}" ("org_unit_path" varchar_pattern_ops)',
        f'CREATE INDEX "{HASH}" ON "{TABLE}" ("hash")',
        f'CREATE INDEX "{HASH}_like" ON "{TABLE}" ("hash" varchar_pattern_ops)',
    ],
    "sqlite": [
        f'DROP INDEX "{ACTION_PREFIX}"',
        f'CREATE INDEX "{ACTION}" ON "{TABLE}" ("action")',
        f'CREATE INDEX "{PATH}" ON "{TABLE}" ("org_unit_path")',
        f'CREATE INDEX "{HASH}" ON "{TABLE}" ("hash")',
    ],
}


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements[schema_editor.connection.vendor]:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_partition_events")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="action",
                    field=models.CharField(max_length=100, verbose_name="action"),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="hash",
                    field=models.CharField(max_length=64),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="org_unit_path",
                    field=models.CharField(blank=True, max_length=128),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(
                        fields=["action"], name=ACTION_PREFIX, opclasses=["varchar_pattern_ops"]
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_run(FORWARDS), _run(BACKWARDS))],
        )
    ]
