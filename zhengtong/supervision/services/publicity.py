"""The end of publicity (公示期满): random-inspection results and penalty decisions leave the
public pages and API when their publicity period is over. Run by the periodic task
``supervision.publicity_expire``; each removal is one audit event."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from zhengtong.audit import services as audit
from zhengtong.supervision.models import Inspection, PenaltyCase

CHUNK = 500


def _expired(on: dt.date) -> dict[str, QuerySet]:
    # With what the audit event names (an inspection's label is its plan and entity).
    return {
        "inspections": Inspection.objects.filter(
            state="published", publicity_until__lt=on, publicity_removed_at__isnull=True
        ).select_related("org_unit", "plan", "entity"),
        "penalties": PenaltyCase.objects.filter(
            decided_on__isnull=False, publicity_until__lt=on, publicity_removed_at__isnull=True
        ).select_related("org_unit"),
    }


def publicity_expire(*, on: dt.date | None = None) -> dict[str, int]:
    """Remove from publicity every published inspection result and penalty decision whose
    publicity period ended before ``on`` (today): ``publicity_removed_at`` is set and one audit
    event (``supervision.publicity.expire``, by the system) is recorded per record, in chunks of
    500 per transaction. Safe to run twice or in two workers at once (rows are locked and
    re-checked). Returns how many of each were removed."""
    on = on or timezone.localdate()
    done = {"inspections": 0, "penalties": 0}
    for key, qs in _expired(on).items():
        while True:
            with transaction.atomic():
                rows = list(qs.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:CHUNK])
                if not rows:
                    break
                now = timezone.now()
                qs.model.objects.filter(pk__in=[r.pk for r in rows]).update(publicity_removed_at=now)
                for row in rows:
                    audit.record(
                        actor=None,
                        via="supervision",
                        action="supervision.publicity.expire",
                        target=row,
                        after={"publicity_until": row.publicity_until.isoformat()},
                    )
                done[key] += len(rows)
    return done
