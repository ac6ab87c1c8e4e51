"""TOTP codes are single-use (replay refused) and accounts.signin is the one way to a session."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from zhengtong.accounts import signin
from zhengtong.accounts.models import User
from zhengtong.accounts.services import totp_disable, totp_enable, totp_verify
from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import AuthenticationRequired, RateLimited, ValidationError

T0 = 1_800_000_000  # divisible by 30 and by 900: the start of a TOTP step and of a limiter window
STEP = T0 // 30


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(value=float(T0))
    monkeypatch.setattr(time, "time", lambda: now.value)
    return now


def code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed, so every code below is deterministic


def enabled(user) -> str:
    secret = SECRET
    totp_enable(actor=user, secret=secret, code=code(secret, STEP - 1))
    return secret


def request_for(session: SessionStore | None = None):
    request = RequestFactory().post("/login/")
    request.session = session or SessionStore()
    request.user = AnonymousUser()
    return request


def test_enabling_uses_up_the_confirming_code(world, clock):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    assert (user.totp_enabled, user.totp_last_step) == (True, STEP - 1)
    assert totp_verify(user=user, code=code(secret, STEP - 1)) is False


def test_a_code_is_accepted_once(world, clock):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    assert totp_verify(user=user, code=code(secret, STEP)) is True
    assert User.objects.get(pk=user.pk).totp_last_step == STEP
    # Replay, from this object or a fresh one (another process), inside the window: refused.
    assert totp_verify(user=user, code=code(secret, STEP)) is False
    assert totp_verify(user=User.objects.get(pk=user.pk), code=code(secret, STEP)) is False
    assert User.objects.get(pk=user.pk).totp_last_step == STEP


def test_after_a_newer_code_an_older_one_in_the_drift_window_is_refused(world, clock):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    assert totp_verify(user=user, code=code(secret, STEP + 1)) is True  # the phone runs ahead
    assert totp_verify(user=user, code=code(secret, STEP)) is False
    clock.value += 60
    assert totp_verify(user=user, code=code(secret, STEP + 2)) is True
    assert User.objects.get(pk=user.pk).totp_last_step == STEP + 2


def test_codes_outside_the_drift_window_or_malformed_are_refused(world, clock):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    for bad in (code(secret, STEP + 2), code(secret, STEP - 2), "", "12345", "abcdef", "1234567"):
        assert totp_verify(user=user, code=bad) is False
    assert User.objects.get(pk=user.pk).totp_last_step == STEP - 1


def test_turning_off_needs_an_unused_code(world, clock):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    with pytest.raises(ValidationError):
        totp_disable(actor=user, code=code(secret, STEP - 1))
    assert User.objects.get(pk=user.pk).totp_enabled is True
    totp_disable(actor=user, code=code(secret, STEP))
    user = User.objects.get(pk=user.pk)
    assert (user.totp_enabled, user.totp_secret, user.totp_last_step) == (False, "", None)


def test_sign_in_of_a_totp_user_only_marks_the_session_pending(world, clock):
    enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    request = request_for()
    assert signin.sign_in(request=request, user=user) is False
    assert request.session[signin.PENDING_USER] == user.pk
    assert "_auth_user_id" not in request.session
    assert request.user.is_authenticated is False
    assert AuditEvent.objects.filter(action="accounts.login").count() == 0


def test_the_second_factor_completes_the_sign_in(world, clock):
    secret = enabled(world.citizen)
    request = request_for()
    signin.sign_in(request=request, user=User.objects.get(pk=world.citizen.pk))
    user = signin.sign_in_second_factor(request=request, code=code(secret, STEP))
    assert user.pk == world.citizen.pk
    assert request.session["_auth_user_id"] == str(world.citizen.pk)
    assert request.session[signin.SECOND_FACTOR_DONE] == world.citizen.pk
    assert signin.PENDING_USER not in request.session
    assert signin.second_factor_missing(request) is False


def test_the_second_factor_without_a_pending_sign_in_is_refused(world, clock):
    request = request_for()
    with pytest.raises(AuthenticationRequired):
        signin.sign_in_second_factor(request=request, code="123456")
    assert "_auth_user_id" not in request.session


def test_the_second_factor_is_throttled_per_account(world, clock, settings):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    assert code(secret, STEP + 5) not in {code(secret, STEP + d) for d in (-1, 0, 1)}
    request = request_for()
    signin.sign_in(request=request, user=user)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        with pytest.raises(ValidationError):
            signin.sign_in_second_factor(request=request, code=code(secret, STEP + 5))
    with pytest.raises(RateLimited) as refused:
        signin.sign_in_second_factor(request=request, code=code(secret, STEP))
    assert refused.value.retry_after == int(settings.AXES_COOLOFF_TIME.total_seconds()) == 900
    assert "_auth_user_id" not in request.session
    assert User.objects.get(pk=user.pk).totp_last_step == STEP - 1
    failures = AuditEvent.objects.filter(action="accounts.login_failed", target_id=str(user.pk))
    assert failures.count() == settings.AXES_FAILURE_LIMIT


def test_only_wrong_codes_count_towards_the_lock(world, clock, settings):
    secret = enabled(world.citizen)
    user = User.objects.get(pk=world.citizen.pk)
    # One wrong code short of the limit, then more right sign-ins than the limit: none is refused.
    request = request_for()
    signin.sign_in(request=request, user=user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(ValidationError):
            signin.sign_in_second_factor(request=request, code=code(secret, STEP + 5))
    for step in range(STEP, STEP + settings.AXES_FAILURE_LIMIT + 1):
        clock.value = float(step * 30)  # a new step for each code (a used one is refused)
        request = request_for()
        signin.sign_in(request=request, user=User.objects.get(pk=user.pk))
        assert signin.sign_in_second_factor(request=request, code=code(secret, step)).pk == user.pk
        assert request.session["_auth_user_id"] == str(user.pk)


def test_a_direct_login_of_a_totp_user_counts_as_missing_the_second_factor(world, clock):
    enabled(world.citizen)
    request = request_for()
    request.user = User.objects.get(pk=world.citizen.pk)
    request.session["_auth_user_id"] = str(world.citizen.pk)
    assert signin.second_factor_missing(request) is True
    request.session[signin.SECOND_FACTOR_DONE] = world.xihu_clerk.pk  # another user's mark
    assert signin.second_factor_missing(request) is True


def test_users_without_totp_sign_in_in_one_step(world):
    request = request_for()
    assert signin.sign_in(request=request, user=world.citizen) is True
    assert request.session["_auth_user_id"] == str(world.citizen.pk)
    assert signin.SECOND_FACTOR_DONE not in request.session
    assert signin.second_factor_missing(request) is False
