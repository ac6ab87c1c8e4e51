import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0003_case_case_submitted_case_case_completed_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="rating",
            name="rectified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="rectified at"),
        ),
        # Existing ratings get the time of the migration (the cockpit recomputes their days once).
        migrations.AddField(
            model_name="rating",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="rating",
            index=models.Index(fields=["updated_at"], name="rating_updated"),
        ),
    ]
