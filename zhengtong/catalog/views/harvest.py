"""Harvesting pages (the data officers' console) and the catalogue-wide dump others harvest."""

from __future__ import annotations

import csv
import io

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can
from zhengtong.catalog import selectors, services
from zhengtong.catalog.models import HarvestSource
from zhengtong.core import cache
from zhengtong.core.access import public, staff
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.forms import apply_domain_error

DUMP_CACHE = "catalog.dump"


class SourceForm(forms.Form):
    name = forms.SlugField(label=gettext_lazy("Short name"), max_length=40)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=HarvestSource.Kind.choices)
    url = forms.URLField(label=gettext_lazy("Address"), max_length=500, assume_scheme="https")
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    interval_hours = forms.IntegerField(
        label=gettext_lazy("Every (hours)"), min_value=1, max_value=720, initial=24
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.pk, d.name) for d in departments]


@staff
def harvest(request):
    ensure_can(request.user, "catalog.manage_harvest")
    departments = selectors.departments_for_harvest(user=request.user)
    form = SourceForm(
        request.POST if request.POST.get("action") == "create" else None, departments=departments
    )
    sources = selectors.harvest_sources(user=request.user)
    if request.method == "POST":
        if request.POST.get("action") == "run":
            source = sources.filter(pk=request.POST.get("source") or 0).first()
            if source is None:
                raise Http404
            try:
                run = services.harvest_now(actor=request.user, source=source)
            except ZhengtongError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("Harvested: %(c)d new, %(u)d updated, %(n)d unchanged, %(w)d withdrawn, %(e)d errors.")
                    % {
                        "c": run.created,
                        "u": run.updated,
                        "n": run.unchanged,
                        "w": run.withdrawn,
                        "e": len(run.errors),
                    },
                )
            return redirect("catalog:harvest")
        if form.is_valid():
            data = form.cleaned_data
            chosen = data.pop("department")
            department = next((d for d in departments if d.pk == chosen), None)
            try:
                services.harvest_source_create(actor=request.user, department=department, **data)
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
            else:
                return redirect("catalog:harvest")
    rows = [(s, selectors.harvest_runs(source=s, limit=5)) for s in sources]
    return render(request, "catalog/console/harvest.html", {"form": form, "rows": rows})


@public
def catalogue_dump(request):
    """Every published dataset's metadata as CSV (UTF-8 with BOM), for others to harvest; the
    DCAT feed is /catalog.ttl. Cached for five minutes."""

    def build() -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(selectors.DUMP_HEADER)
        for row in selectors.catalogue_dump_rows():
            writer.writerow([_neutral(v) for v in row])
        return "\ufeff" + buf.getvalue()

    response = HttpResponse(
        cache.cached(DUMP_CACHE, "csv", build, 300), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="catalog.csv"'
    return response


def _neutral(value):
    """A cell a spreadsheet would run as a formula (= + - @) is quoted with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
