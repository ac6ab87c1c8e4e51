"""Typed helpers that read settings from environment variables.

Every variable read through these helpers is recorded in ``DECLARED`` so a test can
check that docs/configuration.md documents each one.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from pathlib import Path

DECLARED: dict[str, str] = {}

# Production secrets read so far, by value: a second secret with the same value is refused.
_PRODUCTION_SECRETS: dict[str, str] = {}

# Values that appear in the documentation, demos and examples: never a production secret.
KNOWN_DEMO_SECRETS = frozenset(
    {
        "change-me",
        "change-me-app",
        "change-me-owner",
        "changeme",
        "secret",
        "password",
        "zhengtong",
        '<output of: python3 -c "import secrets; print(secrets.token_urlsafe(48))">',
        "<another, different value made the same way>",
    }
)
# A random secret of 32 or more characters carries far more; repeated or patterned text less.
# (32 hex characters, 128 random bits, estimate about 115 bits by character frequency.)
MIN_SECRET_ENTROPY_BITS = 96
MIN_SECRET_DISTINCT_CHARACTERS = 10
MAX_SECRET_CHARACTER_SHARE = 0.25


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


def _entropy_bits(value: str) -> float:
    """Shannon entropy of the value's character distribution, times its length."""
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


def check_production_secret(name: str, value: str, *, var_dir: Path) -> None:
    """Refuse a production secret that is short, a known demo value, low in entropy, the
    development value generated into var/, or equal to another secret already read."""
    if len(value) < 32 or value.startswith("django-insecure"):
        raise ConfigurationError(f"{name} must be a random value of at least 32 characters in production")
    if value.strip().lower() in KNOWN_DEMO_SECRETS:
        raise ConfigurationError(f"{name} is a value from the documentation or the demo, not a secret")
    most_common = Counter(value).most_common(1)[0][1]
    if (
        len(set(value)) < MIN_SECRET_DISTINCT_CHARACTERS
        or most_common > MAX_SECRET_CHARACTER_SHARE * len(value)
        or _entropy_bits(value) < MIN_SECRET_ENTROPY_BITS
    ):
        raise ConfigurationError(
            f"{name} is too regular to be a secret (repeated or patterned characters): "
            'use python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    dev_file = var_dir / f"{name.lower()}.txt"
    if dev_file.is_file() and dev_file.read_text().strip() == value:
        raise ConfigurationError(f"{name} is the development value generated into {dev_file}")
    other = _PRODUCTION_SECRETS.get(value)
    if other is not None and other != name:
        raise ConfigurationError(f"{name} must differ from {other}: every secret needs its own value")
    _PRODUCTION_SECRETS[value] = name


def env_secret(name: str, *, var_dir: Path, production: bool) -> str:
    """A secret: required in production, generated once into var/ for development.

    In production the value is checked by ``check_production_secret``."""
    value = _declare(name, "secret")
    if value is not None:
        if production:
            check_production_secret(name, value, var_dir=var_dir)
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
