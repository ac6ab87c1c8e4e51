"""The audit log (issue 16): unsequenced queue, log entries, Merkle nodes and signed tree heads."""

from django.conf import settings
from django.db import migrations, models

from zhengtong.audit.db import enforce_append_only


def enqueue_existing_and_protect(apps, schema_editor):
    """Every event written so far enters the log in id order (their hashes are not rewritten: the
    chain they form stays verifiable), and the log's tables become append-only like the events'."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO audit_auditqueue (event_id) SELECT id FROM audit_auditevent")
    if not getattr(settings, "TESTING", False):
        enforce_append_only(connection)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_auditevent_via"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditLogEntry",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("event_id", models.BigIntegerField(unique=True)),
                ("leaf_hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit log entry",
                "verbose_name_plural": "audit log entries",
            },
        ),
        migrations.CreateModel(
            name="AuditQueue",
            fields=[
                ("event_id", models.BigIntegerField(primary_key=True, serialize=False)),
            ],
            options={
                "verbose_name": "unsequenced audit event",
                "verbose_name_plural": "unsequenced audit events",
            },
        ),
        migrations.CreateModel(
            name="AuditTreeHead",
            fields=[
                ("tree_size", models.BigIntegerField(primary_key=True, serialize=False)),
                ("root_hash", models.CharField(max_length=64)),
                ("timestamp", models.DateTimeField()),
                ("prev_head_hash", models.CharField(max_length=64)),
                ("kid", models.CharField(max_length=16)),
                ("signature", models.CharField(max_length=100)),
            ],
            options={
                "verbose_name": "signed tree head",
                "verbose_name_plural": "signed tree heads",
                "ordering": ["-tree_size"],
            },
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(db_index=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.CreateModel(
            name="AuditNode",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("level", models.PositiveSmallIntegerField()),
                ("index", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit tree node",
                "verbose_name_plural": "audit tree nodes",
                "constraints": [models.UniqueConstraint(fields=("level", "index"), name="audit_node_unique")],
            },
        ),
        migrations.RunPython(enqueue_existing_and_protect, migrations.RunPython.noop),
    ]
