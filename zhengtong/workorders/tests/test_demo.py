"""The demos of payments, notify and workorders: they run on the demo units and are idempotent."""

from __future__ import annotations

from zhengtong.notify.models import Message
from zhengtong.payments.models import Bill
from zhengtong.workorders.models import WorkOrder


def test_demos_are_idempotent_and_cover_every_state(world, password, settings):
    from zhengtong.accounts.models import UserKind
    from zhengtong.notify import demo as notify_demo
    from zhengtong.payments import demo as payments_demo
    from zhengtong.workorders import demo as workorders_demo

    settings.PAYMENTS_LOCAL_DUPLICATES = True
    for name in ("citizen_zhang", "citizen_li"):
        world.acc.user_create(actor=None, username=name, password=password, kind=UserKind.CITIZEN)
    first = {**payments_demo.seed(), **notify_demo.seed(), **workorders_demo.seed()}
    states = dict(Bill.objects.values_list("reference", "state"))
    assert states == {
        "demo:1": "unpaid",
        "demo:2": "paid",
        "demo:3": "partially_refunded",
        "demo:4": "unpaid",
        "demo:5": "paid",
    }
    assert set(WorkOrder.objects.values_list("state", flat=True)) == {
        "submitted",
        "assigned",
        "in_progress",
        "returned",
        "replied",
        "called_back",
        "closed",
    }
    assert WorkOrder.objects.filter(sla_state="overdue").exists()
    _histories_are_consistent()
    assert WorkOrder.objects.filter(merged_into__isnull=False).count() == 2
    messages = Message.objects.count()
    second = {**payments_demo.seed(), **notify_demo.seed(), **workorders_demo.seed()}
    first.pop("messages"), second.pop("messages")  # notify counts before workorders' demo adds some
    assert first == second
    assert Message.objects.count() == messages
    assert [row[0] for row in payments_demo.account_rows() + workorders_demo.account_rows()] == [
        "xihu_finance",
        "hz_hotline",
    ]


def _histories_are_consistent():
    """Issue 15: every clock starts when its order was opened, no deadline precedes it, "due
    soon" is due soon today, and the overdue order's timeline starts a month ago, not today."""
    import datetime as dt

    from django.utils import timezone

    from zhengtong.core.models import TimelineEntry

    today = timezone.localdate()
    for order in WorkOrder.objects.all():
        entries = list(
            TimelineEntry.objects.filter(object_type="workorders.workorder", object_id=str(order.pk))
        )
        if order.sla_deadline and order.sla_started_on:
            assert order.sla_deadline >= order.sla_started_on, order.number
        if order.sla_state == "due_soon":
            assert order.sla_deadline >= today, order.number
        if order.sla_state == "overdue":
            assert order.sla_deadline < today, order.number
            assert entries and entries[0].at < timezone.now() - dt.timedelta(days=25), order.number
            assert timezone.localdate(order.created_at) == timezone.localdate(entries[0].at), order.number
