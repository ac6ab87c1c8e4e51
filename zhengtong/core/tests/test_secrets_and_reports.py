"""Production secret checks and what the development error page may show."""

from __future__ import annotations

import secrets
import sys

import pytest
from django.test import RequestFactory, override_settings
from django.views.debug import technical_500_response

from zhengtong import conf
from zhengtong.conf import ConfigurationError, env_secret


@pytest.fixture
def fresh_secrets(monkeypatch):
    """Each test starts with no production secret read yet, and declares nothing for good."""
    monkeypatch.setattr(conf, "_PRODUCTION_SECRETS", {})
    monkeypatch.setattr(conf, "DECLARED", dict(conf.DECLARED))


def test_a_random_production_secret_is_accepted(fresh_secrets, monkeypatch, tmp_path):
    value = secrets.token_urlsafe(48)
    monkeypatch.setenv("ZT_TEST_SECRET", value)
    assert env_secret("ZT_TEST_SECRET", var_dir=tmp_path, production=True) == value
    hex_value = secrets.token_hex(16)
    monkeypatch.setenv("ZT_TEST_HEX", hex_value)
    assert env_secret("ZT_TEST_HEX", var_dir=tmp_path, production=True) == hex_value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 64, "too regular"),
        ("ab" * 32, "too regular"),
        ("bench-opendata-" + "x" * 50, "too regular"),
        ("abcdabcdabcdabcdabcdabcdabcdabcdabcd", "too regular"),
        ("short-but-random-Zq8", "at least 32 characters"),
        (
            '<output of: python3 -c "import secrets; print(secrets.token_urlsafe(48))">',
            "documentation or the demo",
        ),
        ("<another, different value made the same way>", "documentation or the demo"),
    ],
)
def test_weak_production_secrets_are_refused(fresh_secrets, monkeypatch, tmp_path, value, message):
    monkeypatch.setenv("ZT_TEST_SECRET", value)
    with pytest.raises(ConfigurationError, match=message):
        env_secret("ZT_TEST_SECRET", var_dir=tmp_path, production=True)


def test_two_secrets_with_the_same_value_are_refused(fresh_secrets, monkeypatch, tmp_path):
    value = secrets.token_urlsafe(48)
    monkeypatch.setenv("SECRET_KEY", value)
    monkeypatch.setenv("PSEUDONYM_KEY", value)
    assert env_secret("SECRET_KEY", var_dir=tmp_path, production=True) == value
    with pytest.raises(ConfigurationError, match="PSEUDONYM_KEY must differ from SECRET_KEY"):
        env_secret("PSEUDONYM_KEY", var_dir=tmp_path, production=True)


def test_the_development_value_is_refused_in_production(fresh_secrets, monkeypatch, tmp_path):
    monkeypatch.delenv("ZT_TEST_SECRET", raising=False)
    generated = env_secret("ZT_TEST_SECRET", var_dir=tmp_path, production=False)
    monkeypatch.setenv("ZT_TEST_SECRET", generated)
    with pytest.raises(ConfigurationError, match="development value"):
        env_secret("ZT_TEST_SECRET", var_dir=tmp_path, production=True)


def test_outside_production_any_value_is_taken(fresh_secrets, monkeypatch, tmp_path):
    monkeypatch.setenv("ZT_TEST_SECRET", "x")
    assert env_secret("ZT_TEST_SECRET", var_dir=tmp_path, production=False) == "x"


@override_settings(
    DEBUG=True,
    DATABASE_URL="postgres://zhengtong_app:db-pass-" + "123@db.internal:5432/zhengtong",
    REDIS_URL="redis://:redis-pass-" + "456@cache.internal:6379/0",
    SENTRY_DSN="https://dsn-pass-" + "789@sentry.internal/1",
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "redis://:cache-pass-" + "000@cache.internal:6379/1",
        }
    },
)
def test_the_development_500_page_hides_connection_urls():
    request = RequestFactory().get("/boom/")
    request.META["DATABASE_URL"] = "postgres://zhengtong_app:meta-pass-" + "111@db.internal/zhengtong"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    page = response.content.decode()
    assert "RuntimeError" in page
    # The page lists this test's source, so the passwords are looked for as built here.
    for number in ("123", "456", "789", "000", "111"):
        assert "pass-" + number not in page
    assert "DATABASE_URL" in page  # the name stays, the value is hidden
