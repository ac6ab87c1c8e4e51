"""apply_domain_error: a domain error shown on an HTML form."""

from __future__ import annotations

from django import forms

from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.forms import apply_domain_error


class AmountForm(forms.Form):
    title = forms.CharField()
    amount_yuan = forms.DecimalField()


def _bound() -> AmountForm:
    form = AmountForm({"title": "x", "amount_yuan": "1.00"})
    assert form.is_valid()
    return form


def test_field_messages_go_onto_their_fields():
    form = _bound()
    apply_domain_error(form, ValidationError("bad", fields={"title": ["too short", "not unique"]}))
    assert form.errors == {"title": ["too short", "not unique"]}
    assert "title" not in form.cleaned_data


def test_unknown_field_becomes_a_form_error_naming_it():
    form = _bound()
    apply_domain_error(form, ValidationError.for_field("phone", "must be a mobile number"))
    assert form.errors == {"__all__": ["phone: must be a mobile number"]}


def test_field_names_rename_domain_fields():
    form = _bound()
    apply_domain_error(
        form,
        ValidationError("bad", fields={"amount_fen": "exceeds the amount paid"}),
        field_names={"amount_fen": "amount_yuan"},
    )
    assert form.errors == {"amount_yuan": ["exceeds the amount paid"]}


def test_error_without_fields_is_one_form_error():
    form = _bound()
    apply_domain_error(form, ValidationError("the file is empty"))
    assert form.errors == {"__all__": ["the file is empty"]}
    form = _bound()
    apply_domain_error(form, PermissionDenied("not in your scope"))
    assert form.non_field_errors() == ["not in your scope"]


def test_conflict_with_field_details():
    form = _bound()
    apply_domain_error(form, Conflict("taken", details={"fields": {"title": ["already taken"]}}))
    assert form.errors == {"title": ["already taken"]}
