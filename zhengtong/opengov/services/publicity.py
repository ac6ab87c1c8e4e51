"""双公示: licensing decisions (from the services module) published within 7 working days in the
national fields, desensitized for individuals, withdrawn when their publicity period ends.

Penalty decisions come from the supervision module when it lands: it calls
``publicity_publish(kind="penalty", ...)`` with its decision (the extension point), or a periodic
pull like ``licensing_pull`` reading its selectors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhengtong.audit import services as audit
from zhengtong.catalog.services import platform_dataset_publish
from zhengtong.core.calendar import add_working_days
from zhengtong.opengov.models import Publicity, SyncCursor
from zhengtong.privacy.desensitize import apply_value
from zhengtong.privacy.detectors import scan_text
from zhengtong.services import selectors as service_selectors

VIA = "opengov"


def desensitize_party(category: str, name: str, code: str) -> tuple[str, str]:
    """An individual's name keeps the surname, the ID number its region and last four
    characters (the privacy module's default policies); a legal person is published as is."""
    if category != "individual":
        return name, code
    return (
        apply_value(name, {"op": "mask", "keep_first": 1, "keep_last": 0}),
        apply_value(code, {"op": "mask", "keep_first": 6, "keep_last": 4}) if code else "",
    )


@transaction.atomic
def publicity_publish(
    *,
    kind: str,
    source_ref: str,
    department: Any,
    decision_number: str,
    decision_name: str,
    party_category: str,
    party_name: str,
    party_code: str,
    content: str,
    decided_on: dt.date,
    licence_number: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    publicity_days: int | None = None,
    actor: Any = None,
    via: str,
) -> Publicity:
    """Trusted internal entry point: publish one decision (idempotent per ``source_ref``). The
    party is desensitized when an individual; the free text is scanned for identifiers."""
    existing = Publicity.objects.filter(source_ref=source_ref).first()
    if existing is not None:
        return existing
    name, code = desensitize_party(party_category, party_name, party_code)
    today = timezone.localdate()
    days = publicity_days or settings.OPENGOV_LICENSING_PUBLICITY_DAYS
    entry = Publicity.objects.create(
        kind=kind,
        source_ref=source_ref,
        org_unit=department.org_unit,
        department=department,
        decision_number=decision_number,
        decision_name=decision_name[:200],
        party_name=name,
        party_category=party_category,
        party_code=code,
        content=scan_text(content),
        licence_number=licence_number,
        decided_on=decided_on,
        valid_from=valid_from,
        valid_to=valid_to,
        authority=department.name,
        authority_code=f"{department.org_unit.code}-{department.code}",
        publish_by=add_working_days(decided_on, settings.OPENGOV_PUBLICITY_WORKING_DAYS),
        published_on=today,
        publicity_until=max(valid_to or dt.date.min, decided_on + dt.timedelta(days=days)),
    )
    audit.record(
        actor=actor,
        action="opengov.publicity.publish",
        target=entry,
        after={"kind": kind, "decision_number": decision_number, "party": name},
        via=via,
    )
    return entry


def licensing_pull(*, limit: int = 1000) -> int:
    """Publish the licensing decisions completed since the last pull (periodic; a decision is
    published within a scan interval, well inside 7 working days). Returns how many."""
    cursor, _ = SyncCursor.objects.get_or_create(name="services.licensing")
    rows = service_selectors.licensing_decisions_after(cursor.last_id, limit=limit)
    for row in rows:
        with transaction.atomic():
            decided = timezone.localdate(row["decided_at"])
            publicity_publish(
                kind="licensing",
                source_ref=f"services.case:{row['id']}",
                department=row["department"],
                decision_number=row["number"],
                decision_name=f"{row['item_name']}决定书",
                party_category=row["party_kind"],
                party_name=row["party_name"],
                party_code=row["party_code"],
                content=f"准予{row['item_name']}",
                decided_on=decided,
                licence_number=row["licence_number"],
                valid_from=row["valid_from"],
                valid_to=row["valid_to"],
                via=VIA,
            )
            SyncCursor.objects.filter(pk=cursor.pk).update(last_id=row["id"])
    return len(rows)


def publicity_withdraw_expired(*, on: dt.date | None = None) -> int:
    """Withdraw every entry whose publicity period has ended (one set-based UPDATE)."""
    on = on or timezone.localdate()
    return Publicity.objects.filter(withdrawn_at__isnull=True, publicity_until__lt=on).update(
        withdrawn_at=timezone.now()
    )


OPEN_DATA_FIELDS = [
    "kind",
    "decision_number",
    "decision_name",
    "party_category",
    "party_name",
    "party_code",
    "content",
    "licence_number",
    "decided_on",
    "valid_from",
    "valid_to",
    "authority",
    "authority_code",
    "published_on",
]


def publicity_export(*, actor: Any = None) -> str:
    """The entries in publicity now as the open dataset ``opengov-double-publicity``."""
    rows = (
        (
            p.kind,
            p.decision_number,
            p.decision_name,
            p.party_category,
            p.party_name,
            p.party_code,
            p.content,
            p.licence_number,
            p.decided_on.isoformat(),
            p.valid_from.isoformat() if p.valid_from else "",
            p.valid_to.isoformat() if p.valid_to else "",
            p.authority,
            p.authority_code,
            p.published_on.isoformat(),
        )
        for p in Publicity.objects.filter(withdrawn_at__isnull=True).order_by("id").iterator(chunk_size=2000)
    )
    return platform_dataset_publish(
        name="opengov-double-publicity",
        fields=OPEN_DATA_FIELDS,
        rows=rows,
        title="行政许可和行政处罚双公示",
        title_en="Licensing and penalty decisions (double publicity)",
        description="行政许可、行政处罚决定在作出之日起7个工作日内公示；自然人信息已脱敏，公示期满撤下。",
        domain="government_services",
        keywords=["双公示", "行政许可", "行政处罚", "信用"],
        actor=actor,
        via=VIA,
    )
