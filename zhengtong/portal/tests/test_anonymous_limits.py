"""Anonymous sign-in failures and self-registrations are limited per client address, so a flood
from one address cannot grow the audit trail or the user table without bound."""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.accounts.models import User
from zhengtong.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_failed_sign_ins_are_limited_per_address_across_usernames(world, settings, password):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    client = Client(REMOTE_ADDR="203.0.113.7")
    failures = AuditEvent.objects.filter(action="accounts.login_failed")
    before = failures.count()
    for i in range(3):  # different usernames: axes (per username + address) never locks these
        response = client.post("/login/", {"username": f"nobody{i}", "password": "wrong-password-1"})
        assert response.status_code == 200
    response = client.post("/login/", {"username": "xihu_clerk", "password": password})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert failures.count() == before + 3
    # Another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert other.post("/login/", {"username": "xihu_clerk", "password": password}).status_code == 302


def test_a_right_password_does_not_count(world, settings, password):
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    for _ in range(4):
        client = Client(REMOTE_ADDR="203.0.113.9")
        assert client.post("/login/", {"username": "xihu_clerk", "password": password}).status_code == 302


def test_self_registrations_are_limited_per_address(world, settings):
    settings.REGISTRATIONS_PER_ADDRESS_PER_HOUR = 2
    users = User.objects.count()
    for i in range(2):
        client = Client(REMOTE_ADDR="198.51.100.4")
        response = client.post(
            "/register/",
            {
                "username": f"newcomer{i}",
                "password": "Long-enough-pw-2025",
                "password2": "Long-enough-pw-2025",
            },
        )
        assert response.status_code == 302
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = client.post(
        "/register/",
        {"username": "newcomer9", "password": "Long-enough-pw-2025", "password2": "Long-enough-pw-2025"},
    )
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert User.objects.count() == users + 2
    assert not User.objects.filter(username="newcomer9").exists()
