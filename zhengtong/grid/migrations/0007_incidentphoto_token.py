"""Photos get a random token for their URLs (/grid/photos/<token>/) instead of their sequential
id; existing photos get one each."""

import uuid

from django.db import migrations, models


def fill_tokens(apps, schema_editor):
    IncidentPhoto = apps.get_model("grid", "IncidentPhoto")
    for photo in IncidentPhoto.objects.filter(token__isnull=True).only("pk").iterator():
        IncidentPhoto.objects.filter(pk=photo.pk).update(token=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("grid", "0006_credentials_move_open311_keys")]

    operations = [
        migrations.AddField(
            model_name="incidentphoto",
            name="token",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="incidentphoto",
            name="token",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
