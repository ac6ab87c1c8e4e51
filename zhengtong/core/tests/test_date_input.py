"""The one date input: ISO 8601 values in every language, so an initial date shows in the
browser's date picker (the zh-Hans format 2027/12/04 is dropped by <input type="date">)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import translation

from zhengtong.core.forms import DateInput


class _Form(forms.Form):
    until = forms.DateField(widget=DateInput())


def test_initial_date_is_iso_in_chinese_and_english():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(_Form(initial={"until": dt.date(2027, 12, 4)})["until"])
        assert 'type="date"' in html and 'value="2027-12-04"' in html, (language, html)


def test_the_picker_value_is_accepted_and_a_bad_one_named():
    with translation.override("zh-hans"):
        good = _Form({"until": "2027-12-04"})
        bad = _Form({"until": "12/04/2027x"})
        assert good.is_valid() and good.cleaned_data["until"] == dt.date(2027, 12, 4)
        assert not bad.is_valid() and "until" in bad.errors
