"""Staff page: the PII scanner (text in, masked text and findings out)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.core.access import staff
from zhengtong.core.errors import ValidationError
from zhengtong.privacy import services


class ScanForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text to scan"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("Nothing is stored; identifiers are masked in the result."),
        strip=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["text"]
        field.max_length = settings.PRIVACY_SCAN_MAX_CHARS
        field.validators.append(MaxLengthValidator(settings.PRIVACY_SCAN_MAX_CHARS))
        field.widget.attrs["maxlength"] = str(settings.PRIVACY_SCAN_MAX_CHARS)


@staff
def scanner(request):
    ensure_can(request.user, "privacy.use")
    form = ScanForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.scan(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_error("text", exc.message)
    if result is not None:
        # the result page must not echo the raw text back in the form either
        form = ScanForm(initial={"text": result["masked"]})
    template = (
        "privacy/partials/scan_result.html" if request.headers.get("HX-Request") else "privacy/scanner.html"
    )
    return render(request, template, {"form": form, "result": result})
