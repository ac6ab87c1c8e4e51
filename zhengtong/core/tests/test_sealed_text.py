"""core.keys.seal_text / open_text: a secret we hold, encrypted at rest, bound to its label."""

from __future__ import annotations

from zhengtong.core import keys


def test_sealed_text_opens_only_with_its_label_and_unaltered(settings):
    sealed = keys.seal_text("zts_abcd1234_secret", label="test.label")
    assert "zts_" not in sealed and sealed != keys.seal_text("zts_abcd1234_secret", label="test.label")
    assert keys.open_text(sealed, label="test.label") == "zts_abcd1234_secret"
    assert keys.open_text(sealed, label="other.label") is None
    altered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert keys.open_text(altered, label="test.label") is None
    assert keys.open_text("", label="test.label") is None and keys.open_text("%%", label="test.label") is None
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert keys.open_text(sealed, label="test.label") is None
