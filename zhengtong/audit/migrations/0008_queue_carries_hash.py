"""The unsequenced queue carries each event's content hash (issue 16).

The sequencer read the hashes of a batch from the event table by id. On PostgreSQL the table is
partitioned by month on ``occurred_at`` and its key is ``(id, occurred_at)``, so a look-up by id
alone visits every partition, and with stale statistics the planner scanned the whole month
(1.2 s a batch at 200,000 events, measured with ``bench/audit.py``). ``record()`` now writes the
hash into the queue row in the same statement; rows already queued get theirs from their events
(an empty hash where the event is gone: the sequencer leaves it, ``verify_log`` reports it).
"""

from django.db import migrations, models

# The same SQL on SQLite and PostgreSQL; the queue is empty or short when the release is deployed.
FILL = (
    "UPDATE audit_auditqueue SET hash = COALESCE("
    "(SELECT e.hash FROM audit_auditevent e WHERE e.id = audit_auditqueue.event_id), '')"
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_fewer_event_indexes")]

    operations = [
        migrations.AddField(
            model_name="auditqueue",
            name="hash",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]
