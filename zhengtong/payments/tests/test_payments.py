"""Unified payment: bills, the local provider's flow, idempotent confirmation, hooks, refunds."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core import outbox, ratelimit
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.models import OutboxMessage
from zhengtong.payments import hooks, providers, services
from zhengtong.payments.models import Bill, LocalOrder, Payment, ProviderEvent, Refund, yuan
from zhengtong.payments.providers import LocalProvider, signed_headers

CALLBACK = "/api/v1/payments/callbacks/local"


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def make_bill(pw, reference="case:1", items=(("营业执照工本费", 1000), ("加急费", 2050))):
    return services.bill_create(
        actor=pw.xihu_counter,
        payer=pw.citizen,
        reference=reference,
        org_unit=pw.xihu,
        department=pw.xihu_scjg,
        items=list(items),
        description="test",
    )


def pay_at_provider(pw, bill) -> Payment:
    """The payer starts paying and confirms on the provider's page (notices queued, not sent)."""
    payment, url = services.payment_start(actor=pw.citizen, bill=bill, return_url="/back/")
    assert url.startswith(f"/pay/provider/{payment.token}/")
    LocalProvider().payer_confirm(payment.token)
    return payment


def paid_body(payment: Payment, **over) -> bytes:
    order = LocalOrder.objects.get(token=payment.token)
    data = {
        "id": "E1",
        "type": "paid",
        "out_trade_no": order.token,
        "transaction_id": order.txn_id,
        "amount_fen": order.amount_fen,
        **over,
    }
    return json.dumps(data).encode()


def post(body: bytes, headers: dict) -> tuple[int, dict]:
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    response = Client().post(CALLBACK, data=body, content_type="application/json", **meta)
    return response.status_code, response.json()


def ledger(bill: Bill) -> tuple:
    bill.refresh_from_db()
    return (
        bill.state,
        bill.paid_fen,
        bill.refunded_fen,
        Payment.objects.filter(bill=bill, state="paid").count(),
    )


# -- bills -------------------------------------------------------------------------------------


def test_bill_create_and_bill_for(pw):
    bill = make_bill(pw)
    assert (bill.state, bill.total_fen, bill.total_yuan) == ("unpaid", 3050, "30.50")
    assert bill.items == [
        {"name": "营业执照工本费", "amount_fen": 1000},
        {"name": "加急费", "amount_fen": 2050},
    ]
    assert bill.pay_url == f"/pay/{bill.number}/"
    assert services.bill_for("case:1") == bill and services.bill_for("case:2") is None
    assert AuditEvent.objects.filter(action="payments.bill.create").count() == 1
    with pytest.raises(Conflict):
        make_bill(pw)
    services.bill_cancel(actor=pw.xihu_counter, bill=bill, reason="wrong fee")
    assert services.bill_for("case:1") is None
    assert make_bill(pw).state == "unpaid"  # a new bill after cancellation


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([("fee", 10.5)], "items[0].amount_fen"),
        ([("fee", 0)], "items[0].amount_fen"),
        ([("fee", -5)], "items[0].amount_fen"),
        ([("", 100)], "items[0].name"),
        (["fee"], "items[0]"),
        ([("fee", True)], "items[0].amount_fen"),
    ],
)
def test_bad_items_are_field_errors(pw, items, field):
    with pytest.raises(ValidationError) as exc:
        make_bill(pw, items=items)
    assert field in exc.value.fields
    assert not Bill.objects.exists()


def test_bill_permission_scope(pw):
    with pytest.raises(PermissionDenied):
        services.bill_create(
            actor=pw.citizen, payer=pw.citizen, reference="case:9", org_unit=pw.xihu, items=[("x", 1)]
        )
    with pytest.raises(PermissionDenied):  # department-limited grant, another department
        services.bill_create(
            actor=pw.xihu_counter,
            payer=None,
            reference="case:9",
            org_unit=pw.xihu,
            department=pw.xihu_gaj,
            items=[("x", 1)],
        )
    with pytest.raises(PermissionDenied):
        services.bill_create(
            actor=pw.xihu_counter, payer=None, reference="case:9", org_unit=pw.yiwu, items=[("x", 1)]
        )
    assert not Bill.objects.exists()


def test_yuan_display():
    assert [yuan(v) for v in (0, 5, 100, 3050, 123456789, -250)] == [
        "0.00",
        "0.05",
        "1.00",
        "30.50",
        "1234567.89",
        "-2.50",
    ]


# -- the whole flow ----------------------------------------------------------------------------


def test_pay_flow_through_pages_and_async_callback(pw, django_capture_on_commit_callbacks, settings):
    settings.PAYMENTS_LOCAL_DUPLICATES = True
    fired = []
    hooks.on_paid("flow")(lambda bill: fired.append(bill.number))
    bill = make_bill(pw, reference="flow:1")
    client = login(pw.citizen)
    page = client.get(bill.pay_url).content.decode()
    assert "30.50" in page and "营业执照工本费" in page and "10.00" in page
    response = client.post(bill.pay_url)
    assert response.status_code == 302 and response.url.startswith("/pay/provider/")
    provider_page = client.get(response.url)
    assert "30.50" in provider_page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        back = client.post(response.url)
    assert back.url == f"/pay/{bill.number}/return/"
    status = client.get(back.url).content.decode()
    assert "Waiting for the payment provider" in status  # pending until the callback arrives
    notices = OutboxMessage.objects.filter(topic=providers.NOTICE_TOPIC)
    assert notices.count() == 2  # the local provider sends every notice twice
    for cb in callbacks:
        cb()  # the task worker delivers both (in-process transport)
    assert ledger(bill) == ("paid", 3050, 0, 1)
    assert fired == [bill.number]
    assert sorted(ProviderEvent.objects.values_list("outcome", flat=True)) == ["applied", "duplicate"]
    assert list(notices.values_list("state", "attempts")) == [("delivered", 1), ("delivered", 1)]
    assert "Paid" in client.get(back.url, HTTP_HX_REQUEST="true").content.decode()
    # Another user cannot see the bill.
    assert login(pw.xihu_clerk).get(bill.pay_url).status_code == 404


def test_forged_callback_rejected_and_ledger_unchanged(pw):
    bill = make_bill(pw)
    payment = pay_at_provider(pw, bill)
    body = paid_body(payment)
    before = ledger(bill)
    status, reply = post(body, signed_headers(body, secret="not-the-secret"))
    assert status == 400 and reply["code"] == "FAIL"
    status, _ = post(body, {})  # unsigned
    assert status == 400
    good = signed_headers(body)
    tampered = paid_body(payment, amount_fen=1)
    assert post(tampered, good)[0] == 400  # signature over another body
    stale = signed_headers(body, timestamp=1_000_000_000)
    assert post(body, stale)[0] == 400  # outside the window
    assert ledger(bill) == before == ("unpaid", 0, 0, 0)
    # Anyone can send these: nothing permanent is written, they are only counted and logged.
    assert ProviderEvent.objects.count() == 0
    assert AuditEvent.objects.filter(action="payments.callback.rejected").count() == 0
    assert ratelimit.incr("payments.callback.rejected", "local", window_seconds=3600) == 5


def test_forged_callback_flood_writes_nothing_and_is_rate_limited(pw, settings, caplog):
    settings.PAYMENTS_CALLBACK_RATE_PER_MINUTE = 30
    bill = make_bill(pw)
    payment = pay_at_provider(pw, bill)
    body = paid_body(payment)
    forged = signed_headers(body, secret="not-the-secret")
    audit_before = AuditEvent.objects.count()
    with caplog.at_level("WARNING", logger="zhengtong.payments.services"):
        statuses = [post(body, forged)[0] for _ in range(50)]
    assert statuses == [400] * 30 + [429] * 20
    assert ProviderEvent.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before
    assert ledger(bill) == ("unpaid", 0, 0, 0)
    # One log line for the first rejection of the hour (then one per 100), not one per request.
    lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert lines == ["payment callbacks from local rejected: 1 this hour (latest: bad signature)"]
    response = Client().post(CALLBACK, data=body, content_type="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1


def test_replayed_callback_counted_once(pw):
    fired = []
    receiver = hooks.on_paid("replay")(lambda bill: fired.append(bill.pk))
    try:
        bill = make_bill(pw, reference="replay:1")
        payment = pay_at_provider(pw, bill)
        body = paid_body(payment)
        headers = signed_headers(body)
        assert post(body, headers)[1]["outcome"] == "applied"
        assert post(body, headers)[0] == 400  # the very same request again: replayed nonce
        assert post(body, signed_headers(body))[1]["outcome"] == "duplicate"
        assert ledger(bill) == ("paid", 3050, 0, 1)
        assert fired == [bill.pk]
        assert AuditEvent.objects.filter(action="payments.bill.paid").count() == 1
    finally:
        hooks.BILL_PAID.disconnect(receiver, key="replay")


def test_amount_mismatch_and_unknown_order_not_applied(pw):
    bill = make_bill(pw)
    payment = pay_at_provider(pw, bill)
    body = paid_body(payment, amount_fen=1)
    assert post(body, signed_headers(body))[1]["outcome"] == "mismatch"
    body = paid_body(payment, out_trade_no="Pnope")
    assert post(body, signed_headers(body))[1]["outcome"] == "unknown"
    assert ledger(bill) == ("unpaid", 0, 0, 0)


def test_out_of_order_refund_before_paid_and_duplicate_paid_after_refund(
    pw, django_capture_on_commit_callbacks
):
    refunded = []
    hooks.on_refunded("ooo")(lambda bill: refunded.append(bill.pk))
    bill = make_bill(pw, reference="ooo:1")
    with django_capture_on_commit_callbacks(execute=False):
        payment = pay_at_provider(pw, bill)
    paid_notice = OutboxMessage.objects.get(topic=providers.NOTICE_TOPIC)
    assert paid_notice.state == "pending"
    # The paid notice was not acknowledged yet; staff cannot refund an unconfirmed bill...
    with pytest.raises(Conflict):
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=1000, reason="x")
    # ...but the provider can refund on its side (e.g. its console): the refund notice overtakes.
    order = LocalOrder.objects.get(token=payment.token)
    refund_body = json.dumps(
        {
            "id": "E2",
            "type": "refunded",
            "out_trade_no": order.token,
            "transaction_id": order.txn_id,
            "amount_fen": order.amount_fen,
            "refund_no": "Fconsole1",
            "refund_id": "Rconsole1",
            "refund_amount_fen": 1000,
        }
    ).encode()
    assert post(refund_body, signed_headers(refund_body))[1]["outcome"] == "applied"
    assert ledger(bill) == ("partially_refunded", 3050, 1000, 0)
    payment.refresh_from_db()
    assert (payment.state, payment.refunded_fen, payment.provider_txn_id) == (
        "partially_refunded",
        1000,
        order.txn_id,
    )
    # Now the late paid notice arrives (and again): acknowledged, nothing counted twice.
    assert outbox.deliver_now(paid_notice.pk) == "delivered"
    body = paid_body(payment)
    assert post(body, signed_headers(body))[1]["outcome"] == "duplicate"
    assert ledger(bill) == ("partially_refunded", 3050, 1000, 0)
    assert refunded == [bill.pk]
    # The refund notice replayed (new nonce) is a duplicate too.
    assert post(refund_body, signed_headers(refund_body))[1]["outcome"] == "duplicate"
    assert Refund.objects.get().state == "succeeded"
    assert ledger(bill)[2] == 1000


def test_staff_refund_is_confirmed_by_callback(pw, django_capture_on_commit_callbacks):
    bill = make_bill(pw)
    with django_capture_on_commit_callbacks(execute=True):
        pay_at_provider(pw, bill)
    assert ledger(bill) == ("paid", 3050, 0, 1)
    with pytest.raises(PermissionDenied):
        services.refund_create(actor=pw.yiwu_finance, bill=bill, amount_fen=100, reason="x")
    with pytest.raises(PermissionDenied):
        services.refund_create(actor=pw.xihu_counter, bill=bill, amount_fen=100, reason="x")
    with pytest.raises(ValidationError) as exc:
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=5000, reason="x")
    assert "amount_fen" in exc.value.fields
    assert not Refund.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = services.refund_create(
            actor=pw.xihu_finance, bill=bill, amount_fen=2000, reason="partly withdrawn"
        )
    assert ledger(bill)[0:3] == ("paid", 3050, 0)  # not counted until the provider confirms
    with pytest.raises(ValidationError):  # 1050 left, 2000 pending
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=1100, reason="x")
    for cb in callbacks:
        cb()
    refund.refresh_from_db()
    assert refund.state == "succeeded" and refund.provider_refund_id
    assert ledger(bill)[0:3] == ("partially_refunded", 3050, 2000)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=1050, reason="rest")
    assert ledger(bill)[0:3] == ("refunded", 3050, 3050)
    assert AuditEvent.objects.filter(action="payments.refund.request").count() == 2


def test_callback_retries_with_backoff_until_acknowledged(
    pw, django_capture_on_commit_callbacks, monkeypatch
):
    import datetime as dt

    from django.utils import timezone

    bill = make_bill(pw)
    down = {"on": True}
    real = providers._post

    def flaky(body, headers):
        if down["on"]:
            raise ConnectionError("merchant unreachable")
        return real(body, headers)

    monkeypatch.setattr(providers, "_post", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        pay_at_provider(pw, bill)
    notice = OutboxMessage.objects.get(topic=providers.NOTICE_TOPIC)
    assert (notice.state, notice.attempts, notice.last_error) == (
        "pending",
        1,
        "ConnectionError: merchant unreachable",
    )
    first_wait = notice.next_attempt_at - timezone.now()
    assert outbox.deliver_due() == 0  # not due yet
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    notice.refresh_from_db()
    assert notice.attempts == 2 and (notice.next_attempt_at - timezone.now()) > first_wait  # backoff grows
    assert ledger(bill) == ("unpaid", 0, 0, 0)
    down["on"] = False
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=2)) == 1
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.next_attempt_at) == ("delivered", 3, None)
    assert ledger(bill) == ("paid", 3050, 0, 1)


def test_unacknowledged_notice_given_up_after_max_attempts(pw, settings, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    settings.PAYMENTS_CALLBACK_MAX_ATTEMPTS = 2
    monkeypatch.setattr(providers, "_post", lambda body, headers: (500, ""))
    bill = make_bill(pw)
    pay_at_provider(pw, bill)  # on-commit callbacks do not run here: the sweep makes every attempt
    notice = OutboxMessage.objects.get(topic=providers.NOTICE_TOPIC)
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=1)) == 1
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=2)) == 1
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == ("failed", 2, "NotAcknowledged: HTTP 500")
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(days=2)) == 0
    assert ledger(bill) == ("unpaid", 0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_confirmations_count_once(pw, monkeypatch):
    # The provider's own notice cannot reach us: the contenders below are the only deliveries.
    monkeypatch.setattr(providers, "_post", lambda body, headers: (503, ""))
    fired = []
    lock = threading.Lock()

    def hook(bill):
        with lock:
            fired.append(bill.pk)

    hooks.on_paid("race")(hook)
    bill = make_bill(pw, reference="race:1")
    payment = pay_at_provider(pw, bill)
    body = paid_body(payment)
    contenders = 4
    barrier = threading.Barrier(contenders)
    results = []

    def deliver():
        headers = signed_headers(body)  # each a fresh nonce: a legitimate duplicate delivery
        try:
            barrier.wait()
            status, reply = services.callback_receive("local", headers, body)
            out = (status, str(reply.get("outcome")))
        finally:
            connection.close()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=deliver) for _ in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [(200, "applied")] + [(200, "duplicate")] * (contenders - 1), results
    assert ledger(bill) == ("paid", 3050, 0, 1)
    assert fired == [bill.pk]
    assert AuditEvent.objects.filter(action="payments.bill.paid").count() == 1
    hooks.BILL_PAID.disconnect(hook, key="race")


def test_payer_only_and_unpaid_only(pw):
    bill = make_bill(pw)
    other = pw.staff("other_citizen", "registry_viewer", pw.xihu)
    with pytest.raises(PermissionDenied):
        services.payment_start(actor=other, bill=bill, return_url="/")
    services.bill_cancel(actor=pw.xihu_counter, bill=bill, reason="r")
    with pytest.raises(Conflict):
        services.payment_start(actor=pw.citizen, bill=bill, return_url="/")
    assert not Payment.objects.exists()


def test_provider_page_does_not_redirect_off_site(pw):
    bill = make_bill(pw)
    payment, url = services.payment_start(actor=pw.citizen, bill=bill, return_url="/back/")
    client = login(pw.citizen)
    response = client.post(f"/pay/provider/{payment.token}/?return=//evil.example/x")
    assert response.status_code == 302 and response.url == "/"
    assert login(pw.xihu_clerk).get(url).status_code == 404  # not the payer


def test_rejected_refund_notice_leaves_nothing_behind(pw, django_capture_on_commit_callbacks):
    bill = make_bill(pw)
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay_at_provider(pw, bill)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=1050, reason="part")
    assert ledger(bill)[0:3] == ("partially_refunded", 3050, 1050)
    refunds_before = list(Refund.objects.values_list("refund_no", "amount_fen", "state"))
    order = LocalOrder.objects.get(token=payment.token)
    body = json.dumps(
        {
            "id": "E9",
            "type": "refunded",
            "out_trade_no": order.token,
            "transaction_id": order.txn_id,
            "amount_fen": order.amount_fen,
            "refund_no": "Fnew-too-much",
            "refund_id": "Rnew",
            "refund_amount_fen": 2050 + 1,  # more than the 2000 left
        }
    ).encode()
    assert post(body, signed_headers(body))[1]["outcome"] == "mismatch"
    assert list(Refund.objects.values_list("refund_no", "amount_fen", "state")) == refunds_before
    assert ledger(bill)[0:3] == ("partially_refunded", 3050, 1050)
    # Staff can still refund what is left, down to the last fen.
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=100, reason="more")
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(actor=pw.xihu_finance, bill=bill, amount_fen=1900, reason="rest")
    assert ledger(bill)[0:3] == ("refunded", 3050, 3050)


def test_refund_notice_rolled_back_whole_when_it_overtakes_the_payment(
    pw, django_capture_on_commit_callbacks
):
    bill = make_bill(pw)
    with django_capture_on_commit_callbacks(execute=False):
        payment = pay_at_provider(pw, bill)
    order = LocalOrder.objects.get(token=payment.token)
    body = json.dumps(
        {
            "id": "E8",
            "type": "refunded",
            "out_trade_no": order.token,
            "transaction_id": order.txn_id,
            "amount_fen": order.amount_fen,
            "refund_no": "Fconsole9",
            "refund_id": "Rconsole9",
            "refund_amount_fen": 4000,  # more than was paid
        }
    ).encode()
    assert post(body, signed_headers(body))[1]["outcome"] == "mismatch"
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert (payment.state, payment.provider_txn_id) == ("created", None)
    assert ledger(bill) == ("unpaid", 0, 0, 0)
    assert AuditEvent.objects.filter(action="payments.payment.confirm").count() == 0
    assert list(ProviderEvent.objects.values_list("outcome", flat=True)) == ["mismatch"]
