"""Typed helpers that read settings from environment variables.

Every variable read through these helpers is recorded in ``DECLARED`` so a test can
check that docs/configuration.md documents each one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DECLARED: dict[str, str] = {}


class ConfigurationError(RuntimeError):
    """Raised at start-up when a required setting is missing or malformed."""


def _declare(name: str, kind: str) -> str | None:
    DECLARED[name] = kind
    value = os.environ.get(name)
    return None if value is None or value == "" else value


def env_str(name: str, default: str = "") -> str:
    value = _declare(name, "str")
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _declare(name, "bool")
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _declare(name, "int")
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _declare(name, "list")
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, *, var_dir: Path, production: bool) -> str:
    """A secret: required in production, generated once into var/ for development."""
    value = _declare(name, "secret")
    if value is not None:
        if production and (len(value) < 32 or value.startswith("django-insecure")):
            raise ConfigurationError(f"{name} must be a random value of at least 32 characters in production")
        return value
    if production:
        raise ConfigurationError(f"{name} is required in production (ZHENGTONG_ENV=production)")
    path = var_dir / f"{name.lower()}.txt"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    generated = secrets.token_urlsafe(48)
    path.write_text(generated)
    path.chmod(0o600)
    return generated
