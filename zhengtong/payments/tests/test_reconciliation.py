"""Daily reconciliation: matched, missing on either side, amount mismatches; page, CSV, command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.payments import services
from zhengtong.payments.models import LocalOrder, Payment
from zhengtong.payments.providers import LocalProvider


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def paid_bill(pw, ref, amount, capture):
    bill = services.bill_create(
        actor=pw.xihu_counter,
        payer=pw.citizen,
        reference=ref,
        org_unit=pw.xihu,
        department=pw.xihu_scjg,
        items=[("fee", amount)],
    )
    with capture(execute=True):
        payment, _ = services.payment_start(actor=pw.citizen, bill=bill, return_url="/")
        LocalProvider().payer_confirm(payment.token)
    return bill


def test_reconcile_all_matched_then_discrepancies(pw, django_capture_on_commit_callbacks):
    paid_bill(pw, "case:1", 1000, django_capture_on_commit_callbacks)
    b2 = paid_bill(pw, "case:2", 2500, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.refund_create(actor=pw.xihu_finance, bill=b2, amount_fen=500, reason="r")
    today = timezone.localdate()
    result = services.reconcile(actor=pw.xihu_finance, day=today)
    assert result.ok and len(result.matched) == 3
    # Paid at the provider but the callback never reached us: missing on our side.
    bill3 = services.bill_create(
        actor=pw.xihu_counter, payer=pw.citizen, reference="case:3", org_unit=pw.xihu, items=[("fee", 700)]
    )
    with django_capture_on_commit_callbacks(execute=False):
        p3, _ = services.payment_start(actor=pw.citizen, bill=bill3, return_url="/")
        LocalProvider().payer_confirm(p3.token)
    # An amount the provider books differently; and one of ours the provider does not know.
    statement = LocalProvider().statement(today)
    p1 = Payment.objects.get(bill__reference="case:1")
    statement = statement.replace(
        f"{p1.provider_txn_id},{p1.token},1000", f"{p1.provider_txn_id},{p1.token},999"
    )
    p2 = Payment.objects.get(bill__reference="case:2")
    statement = "\n".join(line for line in statement.splitlines() if p2.provider_txn_id not in line) + "\n"
    result = services.reconcile(actor=pw.xihu_finance, day=today, statement=statement)
    assert [r["order"] for r in result.missing_ours] == [p3.token]
    assert [r["order"] for r in result.missing_provider] == [p2.token]
    assert [(r["ours_fen"], r["provider_fen"]) for r in result.mismatched] == [(1000, 999)]
    assert len(result.matched) == 1  # the refund
    csv_text = result.csv()
    assert csv_text.startswith("\ufeffstatus,type") and "missing_ours" in csv_text
    with pytest.raises(ValidationError):
        services.reconcile(
            actor=pw.xihu_finance,
            day=today,
            statement="type,provider_id,order,amount_fen,at\npayment,x,y,abc,z\n",
        )


def test_reconcile_permission_page_csv_and_command(
    pw, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_STATEMENT_DIR = str(tmp_path)
    paid_bill(pw, "case:1", 1000, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.reconcile(actor=pw.xihu_counter, day=timezone.localdate())
    day = timezone.localdate().isoformat()
    client = login(pw.xihu_finance)
    page = client.get(f"/console/payments/reconciliation/?day={day}")
    assert page.status_code == 200 and "10.00" in page.content.decode()
    csv_response = client.get(f"/console/payments/reconciliation/?day={day}&format=csv")
    assert csv_response["Content-Type"].startswith("text/csv") and b"matched" in csv_response.content
    assert login(pw.xihu_counter).get(f"/console/payments/reconciliation/?day={day}").status_code == 403
    out = tmp_path / "report.csv"
    from io import StringIO

    stdout = StringIO()
    call_command("payments_reconcile", "--day", day, "--csv", str(out), stdout=stdout)
    assert "matched 1" in stdout.getvalue() and out.exists()
    assert (tmp_path / f"local-{day}.csv").exists()
    LocalOrder.objects.update(amount_fen=1)
    with pytest.raises(SystemExit):
        call_command("payments_reconcile", "--day", day, stdout=StringIO())


def test_api_bills_pay_refund_and_reconciliation(pw, django_capture_on_commit_callbacks):
    import json

    bill = paid_bill(pw, "case:1", 1000, django_capture_on_commit_callbacks)
    unpaid = services.bill_create(
        actor=pw.xihu_counter, payer=pw.citizen, reference="case:2", org_unit=pw.xihu, items=[("fee", 300)]
    )
    citizen = login(pw.citizen)
    mine = citizen.get("/api/v1/payments/bills?mine=true").json()
    assert {b["number"] for b in mine["items"]} == {bill.number, unpaid.number}
    assert citizen.get("/api/v1/payments/bills").json()["items"] == []  # no staff scope
    response = citizen.post(f"/api/v1/payments/bills/{unpaid.number}/pay")
    assert response.status_code == 200 and response.json()["redirect_url"].startswith("/pay/provider/")
    assert citizen.post(f"/api/v1/payments/bills/{bill.number}/pay").status_code == 409
    yiwu = login(pw.yiwu_finance)
    assert yiwu.get(f"/api/v1/payments/bills/{bill.number}").status_code == 404
    finance = login(pw.xihu_finance)
    bad = finance.post(
        f"/api/v1/payments/bills/{bill.number}/refunds",
        data=json.dumps({"amount_fen": 1.5, "reason": "x"}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    ok = finance.post(
        f"/api/v1/payments/bills/{bill.number}/refunds",
        data=json.dumps({"amount_fen": 400, "reason": "x"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["state"] == "requested"
    recon = finance.get(f"/api/v1/payments/reconciliation?day={timezone.localdate().isoformat()}").json()
    # The refund is booked at the provider, its callback not delivered yet: provider-only.
    assert (recon["ok"], recon["matched"], recon["missing_ours"]) == (False, 1, 1)
    assert finance.get("/api/v1/payments/reconciliation?day=yesterday").status_code == 422
    # Staff pages.
    assert bill.number in finance.get("/console/payments/bills/").content.decode()
    assert finance.get(f"/console/payments/bills/{bill.number}/").status_code == 200
