"""A port for signing statements with the installation's managed keys.

Lower layers (the audit log's signed tree heads) must sign with keys that the seals module keeps
(``zhengtong.seals``, layer 3). As with ``core.trail`` and ``core.authz``, the seals app installs its
functions here when it starts, so the dependency points down in the code and the key store stays one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_signer: Callable[..., Any] | None = None
_verifier: Callable[..., bool] | None = None


def install(signer: Callable[..., Any], verifier: Callable[..., bool]) -> None:
    """Called once by the seals app: ``seals.services.sign_bytes`` and ``verify_bytes``."""
    global _signer, _verifier
    _signer, _verifier = signer, verifier


def sign(*, purpose: str, payload: bytes, via: str) -> Any:
    """A signature (``.kid``, ``.alg``, ``.value_b64url``) over ``payload`` with the key for ``purpose``."""
    if _signer is None:  # pragma: no cover - the seals app is always installed
        raise RuntimeError("no signer installed (is zhengtong.seals in INSTALLED_APPS?)")
    return _signer(purpose=purpose, payload=payload, via=via)


def verify(*, kid: str, payload: bytes, signature_b64url: str) -> bool:
    if _verifier is None:  # pragma: no cover
        raise RuntimeError("no verifier installed (is zhengtong.seals in INSTALLED_APPS?)")
    return _verifier(kid=kid, payload=payload, signature_b64url=signature_b64url)
