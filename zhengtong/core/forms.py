"""Putting a domain error onto an HTML form: the one helper every view uses; and the one date
input widget."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from zhengtong.core.errors import ValidationError, ZhengtongError

__all__ = ["DateInput", "apply_domain_error"]


class DateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO 8601 (``YYYY-MM-DD``, what ``<input
    type="date">`` accepts and sends): the localized format (``2027/12/04`` in zh-Hans) would be
    dropped by the browser, leaving an initial date blank."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def apply_domain_error(
    form: forms.BaseForm, exc: ZhengtongError, *, field_names: Mapping[str, str] | None = None
) -> None:
    """Show ``exc`` on ``form`` so the page can be rendered again.

    Each field message of a ``ValidationError`` (or of another error whose details carry
    ``"fields"``, such as a ``Conflict`` on a unique name) goes onto the form field of that name,
    after renaming through ``field_names`` (domain name -> form field name, for a form that asks for
    e.g. yuan where the service takes fen). A message for a field the form does not have becomes a
    form-wide error prefixed with the field's name. An error without field messages becomes one
    form-wide error with its message.
    """
    fields = exc.fields if isinstance(exc, ValidationError) else exc.details.get("fields") or {}
    renames = field_names or {}
    for name, messages in fields.items():
        target = renames.get(name, name)
        if isinstance(messages, str):
            messages = [messages]
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, f"{name}: {message}")
    if not fields:
        form.add_error(None, exc.message)
