"""Reconciliation days at the edges of the calendar: a field error, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import ValidationError
from zhengtong.payments import services

MESSAGE = "must be between 1900-01-01 and 9000-12-31"


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_reconciliation_day_out_of_range_is_422_page_error_and_no_audit(pw, day):
    before = AuditEvent.objects.filter(action="payments.reconcile").count()
    finance = login(pw.xihu_finance)
    response = finance.get(f"/api/v1/payments/reconciliation?day={day}")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"fields": {"day": [MESSAGE]}}
    page = finance.get(f"/console/payments/reconciliation/?day={day}")
    assert page.status_code == 200 and MESSAGE in page.content.decode()
    csv = finance.get(f"/console/payments/reconciliation/?day={day}&format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.filter(action="payments.reconcile").count() == before


def test_reconcile_service_rejects_out_of_range_day(pw):
    with pytest.raises(ValidationError) as err:
        services.reconcile(actor=pw.xihu_finance, day=dt.date(1, 1, 1))
    assert err.value.fields == {"day": [MESSAGE]}
