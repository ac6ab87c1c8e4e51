"""Forms of the datause pages (the services validate again; these give the fields their widgets)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengtong.core.forms import DateInput
from zhengtong.datause.models import Frequency, Outcome, RequestFormat, ReuseKind


class RequestForm(forms.Form):
    title = forms.CharField(label=_("What data do you need?"), max_length=200)
    description = forms.CharField(
        label=_("Describe it (content, fields, area, period)"), widget=forms.Textarea, max_length=4000
    )
    purpose = forms.CharField(
        label=_("What will you use it for?"), widget=forms.Textarea, max_length=2000, required=False
    )
    department = forms.TypedChoiceField(label=_("Department"), coerce=int)
    format = forms.ChoiceField(label=_("Format"), choices=RequestFormat.choices, initial="any")
    frequency = forms.ChoiceField(label=_("Update frequency"), choices=Frequency.choices, initial="irregular")
    public = forms.BooleanField(
        label=_("Show my request publicly (without my name) so others can support it"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, f"{d.org_unit.name} {d.name}") for d in departments]


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    answer = forms.CharField(
        label=_("Answer (public; the reason when refused)"), widget=forms.Textarea, max_length=4000
    )
    planned_on = forms.DateField(
        label=_("Planned for (when scheduled)"),
        required=False,
        widget=DateInput(),
    )
    resource = forms.CharField(
        label=_("Dataset name (when already available)"), required=False, max_length=100
    )


class FulfilForm(forms.Form):
    resource = forms.CharField(label=_("Name of the published dataset"), max_length=100)


class ReuseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReuseKind.choices)
    url = forms.URLField(label=_("Link"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, max_length=4000)
    datasets = forms.CharField(
        label=_("Datasets used"),
        max_length=2000,
        help_text=_("Names of the datasets, separated by commas or spaces"),
    )
    campaign = forms.TypedChoiceField(label=_("Campaign"), coerce=int, required=False, empty_value=None)
    theme = forms.CharField(label=_("Campaign theme"), max_length=100, required=False)

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", _("none"))] + [(c.pk, c.title) for c in campaigns]
