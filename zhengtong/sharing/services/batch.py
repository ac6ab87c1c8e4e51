"""Batch delivery: an extract of a catalogue source under a batch grant, one-off or on a schedule
(every N days, taken by the task worker's periodic ``sharing.batches``), watermarked per grant and
extract, stored privately and delivered to the consumer's inbox; logged and receipted like any
exchange."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import PermissionDenied, ValidationError, ZhengtongError
from zhengtong.datastore import engine
from zhengtong.notify.services import notify
from zhengtong.sharing.errors import SharingError
from zhengtong.sharing.models import DeliveryMode, Exchange, Grant
from zhengtong.sharing.services import exchange as ex

WATERMARK = "_watermark"
MAX_EVERY_DAYS = 366

log = logging.getLogger(__name__)


def watermark(grant_id: int, extract: str, row: int) -> str:
    """The per-row mark of an extract: HMAC of grant, extract and row under the installation's
    secret, so a leaked file names the grant it came from (``batch_trace``)."""
    message = f"{grant_id}:{extract}:{row}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:16]


def batch_extract(*, actor: Any, grant: Grant, on_behalf_of: str = "") -> Exchange:
    """Extract the granted fields within the row scope of a batch grant (consumer staff only),
    into a CSV with a watermark column; the consumer's requester is told in their inbox."""
    ensure_can(actor, "sharing.request", grant.consumer_org_unit, grant.consumer_department)
    grant = Grant.objects.select_related(*ex._GRANT_RELATED).get(pk=grant.pk)
    body = {"extract": True, "on_behalf_of": on_behalf_of[:64], "end_user": f"user:{actor.pk}"}
    now = timezone.now()
    try:
        ex._check_live(grant, now, keyed=False)
        if grant.mode != DeliveryMode.BATCH or grant.profile.registry:
            raise PermissionDenied(
                _("the grant delivers by %s") % grant.get_mode_display(), code=SharingError.WRONG_MODE
            )
        version, number = ex._version(grant)
        extract = timezone.now().strftime("%Y%m%d%H%M%S%f")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*grant.fields, WATERMARK])
        after, rows = None, 0
        while rows < settings.SHARING_BATCH_MAX_ROWS:
            page = engine.query(
                version.table_key, number, "raw", filters=ex._scope_filters(grant), fields=list(grant.fields),
                limit=min(settings.DATASTORE_MAX_PAGE_SIZE, settings.SHARING_BATCH_MAX_ROWS - rows),
                after=after, count="none", schema=version.schema,
            )  # fmt: skip
            for row in page.rows:
                rows += 1
                writer.writerow([row.get(f) for f in grant.fields] + [watermark(grant.pk, extract, rows)])
            after = page.next_cursor
            if not after or not page.rows:
                break
    except ZhengtongError as exc:
        reason = str(exc.code)
        receipt = ex._log(
            grant, mode=DeliveryMode.BATCH, body=body, response={"error": reason},
            outcome="refused", reason=reason, rows=0, now=now,
        )  # fmt: skip
        exc.details = {**exc.details, "receipt": receipt}
        raise
    data = ("\ufeff" + out.getvalue()).encode()
    path = default_storage.save(f"sharing/batches/{grant.pk}/{extract}.csv", ContentFile(data))
    receipt = ex._log(
        grant, mode=DeliveryMode.BATCH, body=body, response={"sha256": hashlib.sha256(data).hexdigest()},
        outcome="ok", reason="", rows=rows, now=now, file_path=path,
    )  # fmt: skip
    exchange = Exchange.objects.get(receipt_id=receipt["payload"]["id"])
    notify(
        recipient=actor,
        event="sharing.batch",
        title=_("Batch extract ready: %(title)s (%(rows)d rows)")
        % {"title": grant.profile.title, "rows": rows},
        link=f"/sharing/batches/{exchange.receipt_id}/",
    )
    return exchange


def batch_file(*, actor: Any, exchange: Exchange) -> bytes:
    """The extract's file, for the consumer department's staff only."""
    grant = exchange.grant
    if grant is None or not exchange.file_path:
        raise PermissionDenied(_("no extract"))
    ensure_can(actor, "sharing.request", grant.consumer_org_unit, grant.consumer_department)
    with default_storage.open(exchange.file_path, "rb") as fh:
        return fh.read()


def batch_trace(*, grant: Grant, extract: str, row: int, mark: str) -> bool:
    """Whether ``mark`` is row ``row`` of extract ``extract`` of ``grant`` (for a leaked file)."""
    return hmac.compare_digest(watermark(grant.pk, extract, row), mark)


@transaction.atomic
def batch_schedule(*, actor: Any, grant: Grant, every_days: int) -> Grant:
    """Have the worker take an extract of a batch grant every ``every_days`` days (0 stops the
    schedule), the first one now (consumer staff). Each scheduled extract is taken on behalf of
    the grant's requester, so a requester who lost the permission gets a logged refusal."""
    ensure_can(actor, "sharing.request", grant.consumer_org_unit, grant.consumer_department)
    if grant.mode != DeliveryMode.BATCH or grant.profile.registry:
        raise PermissionDenied(
            _("the grant delivers by %s") % grant.get_mode_display(), code=SharingError.WRONG_MODE
        )
    if (
        isinstance(every_days, bool)
        or not isinstance(every_days, int)
        or not 0 <= every_days <= MAX_EVERY_DAYS
    ):
        raise ValidationError.for_field("every_days", _("between 0 and %d days") % MAX_EVERY_DAYS)
    before = grant.batch_every_days
    grant.batch_every_days = every_days
    grant.batch_next_at = timezone.now() if every_days else None
    grant.save(update_fields=["batch_every_days", "batch_next_at"])
    audit.record(
        actor=actor,
        action="sharing.batch.schedule",
        target=grant,
        before={"every_days": before},
        after={"every_days": every_days},
    )
    return grant


def batches_due(*, now: dt.datetime | None = None) -> int:
    """Take every scheduled extract that is due (the worker's ``sharing.batches``): one extract
    per due grant, on behalf of its requester; the next one ``batch_every_days`` later. A refused
    extract (grant suspended, requester without permission) is logged and receipted as usual and
    the schedule moves on. Returns the number of extracts taken."""
    now = now or timezone.now()
    due = Grant.objects.filter(
        mode=DeliveryMode.BATCH, batch_every_days__gt=0, batch_next_at__lte=now, state="active"
    ).select_related("request__requested_by")
    taken = 0
    for grant in due:
        # Claim the grant's turn first, so two workers never take the same extract.
        claimed = Grant.objects.filter(pk=grant.pk, batch_next_at=grant.batch_next_at).update(
            batch_next_at=now + dt.timedelta(days=grant.batch_every_days)
        )
        if not claimed or grant.request is None:
            continue
        try:
            batch_extract(actor=grant.request.requested_by, grant=grant, on_behalf_of=f"schedule:{grant.pk}")
            taken += 1
        except ZhengtongError as exc:
            log.info("scheduled extract of grant %s refused: %s", grant.pk, exc.code)
    return taken
