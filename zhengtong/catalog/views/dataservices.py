"""The catalogue of APIs (dataservices): public list and page, the publishers' form."""

from __future__ import annotations

import re

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.catalog import selectors, services
from zhengtong.catalog.models import DataService, Licence
from zhengtong.core.access import public, staff
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.core.forms import apply_domain_error


class DataServiceForm(forms.Form):
    name = forms.SlugField(label=gettext_lazy("Short name"), max_length=100)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    base_url = forms.URLField(label=gettext_lazy("Base address"), max_length=500, assume_scheme="https")
    openapi_url = forms.URLField(
        label=gettext_lazy("OpenAPI description"), max_length=500, required=False, assume_scheme="https"
    )
    access = forms.ChoiceField(label=gettext_lazy("Access"), choices=DataService.Access.choices)
    conditions = forms.CharField(
        label=gettext_lazy("Access conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    rate_limit = forms.CharField(label=gettext_lazy("Rate limit"), max_length=100, required=False)
    licence = forms.ChoiceField(
        label=gettext_lazy("Licence"), choices=Licence.choices, initial=Licence.CC_BY_4
    )
    datasets = forms.CharField(
        label=gettext_lazy("Datasets served"),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("Names, separated by commas or spaces"),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, d.name) for d in departments]


@public
def dataservices(request):
    return render(request, "catalog/dataservices.html", {"services": list(selectors.dataservices()[:500])})


@public
def dataservice(request, name: str):
    try:
        service = selectors.dataservice_get(name)
    except NotFound:
        raise Http404 from None
    return render(request, "catalog/dataservice.html", {"service": service})


@staff
def dataservice_new(request):
    ensure_can(request.user, "catalog.edit")
    departments = selectors.departments_to_edit(user=request.user)
    form = DataServiceForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = data.pop("department")
        data["datasets"] = [n for n in re.split(r"[\s,，、]+", data["datasets"]) if n]
        try:
            created = services.dataservice_create(
                actor=request.user, department=next(d for d in departments if d.pk == chosen), **data
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("catalog:dataservice", name=created.name)
    return render(request, "catalog/console/dataservice_new.html", {"form": form})
