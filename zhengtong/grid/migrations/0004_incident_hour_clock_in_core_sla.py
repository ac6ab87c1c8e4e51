"""Hour clocks move into core.sla (HourSlaMixin): ``due_at`` becomes ``sla_due_at`` and
``paused_seconds_left`` ``sla_seconds_left`` (renames keep the data); the new ``sla_hours`` and
``sla_due_soon_at`` are filled set-based: an incident of a category with an hour limit runs an
hour clock (due soon in its last quarter, at least the last hour), the others a working-day
clock (due soon from the start of ``sla_due_soon_on``). The scan's indexes follow: (sla_state,
sla_due_at) and (sla_state, sla_due_soon_at) instead of (sla_state, sla_deadline)."""

import datetime as dt

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone


def fill_clocks(apps, schema_editor):
    Category = apps.get_model("grid", "Category")
    Incident = apps.get_model("grid", "Incident")
    for pk, hours in Category.objects.filter(sla_hours__isnull=False).values_list("pk", "sla_hours"):
        if not hours:
            continue
        Incident.objects.filter(category_id=pk, sla_due_at__isnull=False).update(
            sla_hours=hours,
            sla_working_days=None,
            sla_due_soon_at=F("sla_due_at") - dt.timedelta(hours=max(hours / 4, 1)),
        )
    day_clocks = Incident.objects.filter(sla_hours__isnull=True, sla_due_soon_on__isnull=False)
    for day in day_clocks.values_list("sla_due_soon_on", flat=True).distinct().order_by():
        start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
        day_clocks.filter(sla_due_soon_on=day).update(sla_due_soon_at=start)


class Migration(migrations.Migration):
    dependencies = [("grid", "0003_incident_indexes")]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="incident_hour_scan"),
        migrations.RenameField(model_name="incident", old_name="due_at", new_name="sla_due_at"),
        migrations.RenameField(
            model_name="incident", old_name="paused_seconds_left", new_name="sla_seconds_left"
        ),
        migrations.AddField(
            model_name="incident",
            name="sla_hours",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="time limit (hours)"),
        ),
        migrations.AddField(
            model_name="incident",
            name="sla_due_soon_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["sla_state", "sla_due_at"], name="incident_hour_scan"),
        ),
        # The scan no longer reads sla_deadline for incidents: its index gives way to due-soon's.
        migrations.RemoveIndex(model_name="incident", name="incident_sla_scan"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["sla_state", "sla_due_soon_at"], name="incident_due_soon_scan"),
        ),
        migrations.RunPython(fill_clocks, migrations.RunPython.noop, elidable=True),
    ]
