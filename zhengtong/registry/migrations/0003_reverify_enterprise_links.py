"""Re-verify every existing enterprise link (issue 17 item 2).

Until now an enterprise account linked itself to any active entity by typing its USCC. A link
stays only when it is proven: the account is real-name verified and is the entity's legal
representative (same resident ID) or holds a live authorisation (授权, none exist before this
release), and the entity is active. Every other link is suspended by clearing it (``User.uscc``
set to ""): the account acts for no entity until the legal representative authorises it and it
links again.
"""

from django.db import migrations
from django.utils import timezone


def reverify(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    LegalEntity = apps.get_model("registry", "LegalEntity")
    reps = {
        e.uscc: (e.legal_rep_resident_id, e.status)
        for e in LegalEntity.objects.exclude(legal_rep_resident_id="").only(
            "uscc", "legal_rep_resident_id", "status"
        )
    }
    Authorization = apps.get_model("registry", "EntityAuthorization")
    authorised = set(
        Authorization.objects.filter(revoked_at__isnull=True, valid_until__gt=timezone.now()).values_list(
            "grantee_id", "entity__uscc"
        )
    )
    suspended = []
    for user in User.objects.exclude(uscc="").only("id", "uscc", "resident_id", "is_real_name"):
        rep_id, status = reps.get(user.uscc, ("", ""))
        proven = (
            user.is_real_name
            and status == "active"
            and ((user.resident_id and user.resident_id == rep_id) or (user.pk, user.uscc) in authorised)
        )
        if not proven:
            suspended.append(user.pk)
    if suspended:
        User.objects.filter(pk__in=suspended).update(uscc="")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_entity_authorization"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(reverify, migrations.RunPython.noop)]
