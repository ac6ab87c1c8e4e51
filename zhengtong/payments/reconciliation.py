"""The daily reconciliation of our ledger (payments and refunds) with the provider's statement."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.audit import services as audit
from zhengtong.core.errors import ValidationError
from zhengtong.payments.models import Payment, Refund
from zhengtong.payments.providers import get_provider


@dataclass
class Reconciliation:
    day: dt.date
    matched: list[dict] = field(default_factory=list)
    missing_ours: list[dict] = field(default_factory=list)  # at the provider, not in our ledger
    missing_provider: list[dict] = field(default_factory=list)  # in our ledger, not at the provider
    mismatched: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing_ours or self.missing_provider or self.mismatched)

    def rows(self) -> list[dict]:
        out = []
        for status, rows in (
            ("mismatch", self.mismatched),
            ("missing_ours", self.missing_ours),
            ("missing_provider", self.missing_provider),
            ("matched", self.matched),
        ):
            out += [{"status": status, **r} for r in rows]
        return out

    def csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["status", "type", "provider_id", "order", "ours_fen", "provider_fen"])
        for r in self.rows():
            writer.writerow(
                [
                    r["status"],
                    r["type"],
                    r["provider_id"],
                    r["order"],
                    r.get("ours_fen", ""),
                    r.get("provider_fen", ""),
                ]
            )
        return "\ufeff" + buf.getvalue()


def _local_day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9000, 12, 31)


def ledger_entries(day: dt.date, provider: str) -> dict[tuple[str, str], dict]:
    start, end = _local_day_range(day)
    entries: dict[tuple[str, str], dict] = {}
    for p in Payment.objects.filter(
        provider=provider, paid_at__gte=start, paid_at__lt=end, provider_txn_id__isnull=False
    ):
        entries[("payment", p.provider_txn_id)] = {
            "type": "payment",
            "provider_id": p.provider_txn_id,
            "order": p.token,
            "ours_fen": p.amount_fen,
        }
    for r in Refund.objects.filter(
        payment__provider=provider,
        state=Refund.State.SUCCEEDED,
        completed_at__gte=start,
        completed_at__lt=end,
    ):
        key = r.provider_refund_id or r.refund_no
        entries[("refund", key)] = {
            "type": "refund",
            "provider_id": key,
            "order": r.refund_no,
            "ours_fen": r.amount_fen,
        }
    return entries


def parse_statement(text: str) -> dict[tuple[str, str], dict]:
    rows: dict[tuple[str, str], dict] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for i, row in enumerate(reader, start=1):
        try:
            kind, pid, amount = row["type"], row["provider_id"], int(row["amount_fen"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError.for_field(
                "statement", _("row %d is not type,provider_id,order,amount_fen,at") % i
            ) from None
        rows[(kind, pid)] = {
            "type": kind,
            "provider_id": pid,
            "order": row.get("order", ""),
            "provider_fen": amount,
        }
    return rows


def reconcile(
    *, actor: Any, day: dt.date, provider: str = "local", statement: str | None = None
) -> Reconciliation:
    """Compare our ledger of ``day`` with the provider's statement (payments.reconcile)."""
    ensure_can(actor, "payments.reconcile")
    if not FIRST_DAY <= day <= LAST_DAY:
        # Outside this the day's bounds in local time overflow the date range.
        raise ValidationError.for_field(
            "day", _("must be between %(first)s and %(last)s") % {"first": FIRST_DAY, "last": LAST_DAY}
        )
    text = statement if statement is not None else get_provider(provider).statement(day)
    theirs = parse_statement(text)
    ours = ledger_entries(day, provider)
    result = Reconciliation(day)
    for key in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(key), theirs.get(key)
        if mine and other:
            row = {**other, **mine}
            (result.matched if mine["ours_fen"] == other["provider_fen"] else result.mismatched).append(row)
        elif mine:
            result.missing_provider.append(mine)
        else:
            result.missing_ours.append(other)
    audit.record(
        actor=actor,
        action="payments.reconcile",
        target_type="payments.day",
        target_id=day.isoformat(),
        target_label=day.isoformat(),
        after={
            "matched": len(result.matched),
            "missing_ours": len(result.missing_ours),
            "missing_provider": len(result.missing_provider),
            "mismatched": len(result.mismatched),
        },
    )
    return result
