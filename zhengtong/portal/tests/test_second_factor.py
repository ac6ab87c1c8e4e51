"""Two-step verification on every sign-in path: portal login, Django admin, direct sessions, tokens.

One path (accounts.signin): a TOTP user's password alone never yields a session that reaches a
page, the API or token creation; the code step is throttled per account and refuses replays.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pyotp
import pytest
from django.test import Client

from zhengtong.accounts import services as account_services
from zhengtong.accounts.models import Credential, User
from zhengtong.audit.models import AuditEvent

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
T0 = 1_800_000_000  # a fixed clock, at the start of a 30-second step (divisible by 30)


@pytest.fixture
def clock(monkeypatch):
    """A fixed ``time.time()`` (TOTP steps, rate-limit windows); tests move it on by hand."""
    now = SimpleNamespace(value=float(T0))
    monkeypatch.setattr(time, "time", lambda: now.value)
    return now


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(int(when))


def with_totp(user, clock) -> str:
    """Turn TOTP on for ``user`` through the service (code of the previous step); its secret."""
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed: the codes (and a wrong one) are deterministic
    account_services.totp_enable(actor=user, secret=secret, code=code_at(secret, clock.value - 30))
    user.refresh_from_db()
    return secret


@pytest.fixture
def admin_user(world):
    user = world.acc.user_create(
        actor=world.system,
        username="site_admin",
        password="Test-pass-2025!",
        kind="admin",
        org_unit=world.province,
    )
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user.refresh_from_db()
    assert user.is_staff is True
    return user


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def assert_reaches_nothing(client: Client) -> None:
    """The session is anonymous everywhere: pages redirect to login, the API answers 401, and it
    cannot create an API token (over the API or the account page)."""
    tokens = Credential.objects.count()
    assert client.get("/console/")["Location"] == "/login/?next=/console/"
    assert client.get("/account/")["Location"] == "/login/?next=/account/"
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    response = client.post(
        "/api/v1/me/tokens", {"name": "grab", "scopes": ["read", "write"]}, "application/json"
    )
    assert response.status_code == 401
    response = client.post("/account/", {"action": "token", "tok-name": "grab", "tok-days": "30"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/account/"
    assert Credential.objects.count() == tokens
    assert signed_in_user_id(client) is None


# --- the portal login ---------------------------------------------------------------------------


def test_password_alone_leaves_the_session_pending_and_anonymous(world, client, clock, password):
    with_totp(world.xihu_clerk, clock)
    response = client.post("/login/", {"username": "xihu_clerk", "password": password, "next": "/console/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/otp/?next=%2Fconsole%2F"
    assert client.session["zt_pending_otp_user"] == world.xihu_clerk.pk
    assert_reaches_nothing(client)
    assert AuditEvent.objects.filter(action="accounts.login", actor_id=world.xihu_clerk.pk).count() == 0


def test_the_right_code_completes_the_sign_in(world, client, clock, password):
    secret = with_totp(world.xihu_clerk, clock)
    client.post("/login/", {"username": "xihu_clerk", "password": password})
    response = client.post("/login/otp/", {"otp": code_at(secret, clock.value)})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert signed_in_user_id(client) == str(world.xihu_clerk.pk)
    assert client.session["second_factor_done"] == world.xihu_clerk.pk
    assert "zt_pending_otp_user" not in client.session
    assert client.get("/console/").status_code == 200
    assert client.get("/api/v1/me").json()["username"] == "xihu_clerk"
    assert AuditEvent.objects.filter(action="accounts.login", actor_id=world.xihu_clerk.pk).count() == 1


def test_a_wrong_code_signs_nobody_in(world, client, clock, password):
    secret = with_totp(world.xihu_clerk, clock)
    client.post("/login/", {"username": "xihu_clerk", "password": password})
    wrong = f"{(int(code_at(secret, clock.value)) + 1) % 1_000_000:06d}"
    response = client.post("/login/otp/", {"otp": wrong})
    assert response.status_code == 200
    assert "The code is wrong, expired or already used" in response.content.decode()
    assert_reaches_nothing(client)


def test_a_used_code_is_refused_within_its_window(world, clock, password):
    secret = with_totp(world.xihu_clerk, clock)
    code = code_at(secret, clock.value)
    first, second = Client(), Client()
    first.post("/login/", {"username": "xihu_clerk", "password": password})
    assert first.post("/login/otp/", {"otp": code}).status_code == 302
    # The same code again, still inside its 30 seconds (and the ±1 step drift window).
    clock.value += 10
    second.post("/login/", {"username": "xihu_clerk", "password": password})
    response = second.post("/login/otp/", {"otp": code})
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert_reaches_nothing(second)
    # The next step's code is fresh and works.
    clock.value += 20
    assert second.post("/login/otp/", {"otp": code_at(secret, clock.value)}).status_code == 302
    assert signed_in_user_id(second) == str(world.xihu_clerk.pk)


def test_the_code_step_locks_after_five_tries_with_retry_after(world, client, clock, password, settings):
    secret = with_totp(world.xihu_clerk, clock)
    assert settings.AXES_FAILURE_LIMIT == 5
    client.post("/login/", {"username": "xihu_clerk", "password": password})
    right = code_at(secret, clock.value)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = [client.post("/login/otp/", {"otp": wrong}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 200]
    # Locked: even the right code is refused, with a clear message and Retry-After.
    response = client.post("/login/otp/", {"otp": right})
    assert response.status_code == 429
    # T0 starts a 15-minute window of the shared limiter, so the whole window remains.
    assert response["Retry-After"] == "900"
    assert "Too many codes tried for this account" in response.content.decode()
    assert_reaches_nothing(client)
    # The lock is per account: a new password step from another client does not reset it.
    other = Client()
    other.post("/login/", {"username": "xihu_clerk", "password": password})
    assert other.post("/login/otp/", {"otp": right}).status_code == 429
    assert signed_in_user_id(other) is None
    # The code was never accepted, so it still works once the lock has passed.
    assert User.objects.get(pk=world.xihu_clerk.pk).totp_last_step == T0 // 30 - 1


def test_the_code_page_without_a_pending_password_step_goes_back_to_login(world, client):
    response = client.post("/login/otp/", {"otp": "123456"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert signed_in_user_id(client) is None


def test_users_without_totp_still_sign_in_with_the_password(world, client, password):
    response = client.post("/login/", {"username": "citizen", "password": password})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.get("/api/v1/me").json()["username"] == "citizen"


# --- the Django admin ---------------------------------------------------------------------------


def test_admin_login_post_signs_nobody_in(world, client, clock, admin_user):
    with_totp(admin_user, clock)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "site_admin", "password": "Test-pass-2025!", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert_reaches_nothing(client)


def test_admin_login_without_totp_also_goes_through_the_portal(world, client, admin_user):
    response = client.post("/admin/login/", {"username": "site_admin", "password": "Test-pass-2025!"})
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    assert signed_in_user_id(client) is None
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_the_admin_opens_after_the_portal_login_and_its_code(world, client, clock, admin_user):
    secret = with_totp(admin_user, clock)
    client.post("/login/", {"username": "site_admin", "password": "Test-pass-2025!", "next": "/admin/"})
    response = client.post("/login/otp/?next=/admin/", {"otp": code_at(secret, clock.value)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Signed in already: the admin's login page goes straight on.
    assert client.get("/admin/login/?next=/admin/accounts/")["Location"] == "/admin/accounts/"


# --- sessions started outside accounts.signin ----------------------------------------------------


def test_a_session_that_skipped_the_code_is_signed_out(world, clock):
    with_totp(world.xihu_clerk, clock)
    client = Client()
    client.force_login(world.xihu_clerk, backend=MODEL_BACKEND)  # login() without the second step
    assert_reaches_nothing(client)


def test_turning_totp_on_keeps_this_session_and_signs_out_the_others(world, clock):
    here, elsewhere = Client(), Client()
    here.force_login(world.xihu_clerk, backend=MODEL_BACKEND)
    elsewhere.force_login(world.xihu_clerk, backend=MODEL_BACKEND)
    assert here.get("/account/two-step/").status_code == 200
    secret = here.session["zt_totp_secret"]
    response = here.post("/account/two-step/", {"otp": code_at(secret, clock.value)})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert User.objects.get(pk=world.xihu_clerk.pk).totp_enabled is True
    assert here.get("/account/").status_code == 200
    assert here.get("/api/v1/me").status_code == 200
    assert_reaches_nothing(elsewhere)
