"""Forms of the catalogue pages (they only parse input; the services validate and decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.models import Domain, Licence, Openness, UpdateFrequency
from zhengtong.core.forms import DateInput
from zhengtong.privacy.grades import GRADES

POLICY_CHOICES = [
    ("", _("(unchanged)")),
    ("keep", _("keep as is")),
    ("mask", _("mask")),
    ("pseudonymize", _("pseudonymize (keyed)")),
    ("generalize:year", _("generalize date to year")),
    ("generalize:month", _("generalize date to month")),
    ("generalize:county", _("generalize address to county")),
    ("generalize:age_band", _("generalize age to band")),
    ("generalize:grid", _("generalize coordinates to grid")),
    ("round", _("round")),
    ("scan", _("scan free text")),
    ("suppress", _("suppress")),
]


class ResourceForm(forms.Form):
    name = forms.SlugField(
        label=_("Name (in URLs)"),
        max_length=100,
        help_text=_("Lower-case letters, digits and hyphens, e.g. xihu-enterprises."),
    )
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    description_en = forms.CharField(
        label=_("English description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    keywords = forms.CharField(
        label=_("Keywords"), required=False, help_text=_("Separated by commas or spaces.")
    )
    keywords_en = forms.CharField(
        label=_("English keywords"), required=False, help_text=_("Separated by commas.")
    )
    update_frequency = forms.ChoiceField(label=_("Update frequency"), choices=UpdateFrequency.choices)
    temporal_start = forms.DateField(label=_("Covers from"), required=False, widget=DateInput())
    temporal_end = forms.DateField(label=_("Covers to"), required=False, widget=DateInput())
    spatial = forms.CharField(label=_("Spatial coverage (region code)"), max_length=15, required=False)
    licence = forms.ChoiceField(label=_("Licence"), choices=Licence.choices)
    openness = forms.ChoiceField(
        label=_("Openness"),
        choices=Openness.choices,
        help_text=_("It may not exceed what the grade of the released fields allows."),
    )
    contact_name = forms.CharField(label=_("Contact name"), max_length=100, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)

    def __init__(self, *args, departments=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, f"{d.name} ({d.org_unit.name})") for d in departments]
        if editing:
            del self.fields["name"]
            del self.fields["department"]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Data file"), help_text=_("CSV (UTF-8 or GBK), XLSX, JSON, NDJSON or GeoJSON.")
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        choices=[("replace", _("replace all rows")), ("append", _("append rows"))],
        initial="replace",
    )


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)


class ApplicationForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of use"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        max_length=2000,
        help_text=_("What the data will be used for, by whom, and how it will be kept safe."),
    )
    fields = forms.MultipleChoiceField(label=_("Fields requested"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, field_names=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = [(n, n) for n in field_names]


class KeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"), max_length=100, help_text=_("Where you use it, e.g. “my app”.")
    )


GRADE_CHOICES = [("", _("(unchanged)"))] + [(g, g) for g in GRADES]


class DocumentForm(forms.Form):
    prefix = "doc"  # the manage page holds the upload form too (its own "file")
    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, DOCX, DOC, XLSX, XLS, PPTX, ODT, ODS, TXT, MD or CSV."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    grade = forms.ChoiceField(
        label=_("Grade of its content"),
        choices=[(g, g) for g in GRADES],
        help_text=_("L1: anyone may download it; L2–L3: approved applicants only; L4: staff only."),
    )


class ApiLinkForm(forms.Form):
    prefix = "api"
    url = forms.CharField(label=_("Address"), max_length=500)
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("What it does"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    dataservice = forms.CharField(
        label=_("Catalogued API (name)"),
        max_length=100,
        required=False,
        help_text=_(
            "Left empty, the link is matched to the catalogued API whose base address it starts with."
        ),
    )
