"""Registry pages of the staff console: look-ups, e-licences, import, correction requests."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.access import staff
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.core.pagination import keyset_page
from zhengtong.core.workflow import timeline
from zhengtong.registry import importers, selectors, services


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Resident ID number or name"), max_length=100, required=False)


@staff
def persons(request):
    form = SearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = keyset_page(
        selectors.persons_for(request.user, q=q), order=["id"], cursor=request.GET.get("cursor"), limit=50
    )
    template = (
        "registry/partials/person_rows.html" if request.headers.get("HX-Request") else "registry/persons.html"
    )
    return render(request, template, {"form": form, "page": page, "q": q})


@staff
def person_detail(request, person_id: int):
    person = selectors.person_get_for(request.user, person_id)
    return render(
        request,
        "registry/person_detail.html",
        {"person": person, "licences": selectors.licences_for(request.user, holder_person=person)},
    )


class EntitySearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("USCC or name"), max_length=100, required=False)


@staff
def legal_entities(request):
    form = EntitySearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = keyset_page(
        selectors.legal_entities_for(request.user, q=q),
        order=["id"],
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    return render(request, "registry/legal_entities.html", {"form": form, "page": page, "q": q})


@staff
def licences(request):
    page = keyset_page(
        selectors.licences_for(request.user), order=["id"], cursor=request.GET.get("cursor"), limit=50
    )
    return render(request, "registry/licences.html", {"page": page})


def _workflow_page(request, obj, act, template: str, context_name: str, detail_url: str):
    """A workflow object's page: on POST take the chosen action through ``act`` (a service
    function), then show the state, the actions this user may take now, and the timeline."""
    if request.method == "POST":
        version = request.POST.get("version", "")
        try:
            if not version.isdigit():
                raise ValidationError.for_field("version", _("reload the page and try again"))
            act(
                action=request.POST.get("action", ""),
                note=request.POST.get("note", ""),
                expected_version=int(version),
            )
            messages.success(request, _("Done."))
            return redirect(detail_url, obj.pk)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
    context = {
        context_name: obj,
        "actions": obj.workflow.available(obj, request.user),
        "timeline": timeline(obj),
    }
    return render(request, template, context)


@staff
def licence_detail(request, licence_id: int):
    licence = selectors.licence_get_for(request.user, licence_id)

    def act(*, action: str, **kw):
        licence.workflow.transition(action)  # an unknown action: the workflow's ValidationError
        services.LICENCE_TRANSITIONS[action](actor=request.user, licence=licence, **kw)

    return _workflow_page(
        request, licence, act, "registry/licence_detail.html", "licence", "portal:licence_detail"
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=[
            ("persons", gettext_lazy("Persons")),
            ("legal_entities", gettext_lazy("Legal entities")),
            ("licences", gettext_lazy("E-licences")),
        ],
    )
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8 or GBK)"))


@staff
def registry_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = importers.registry_import(
                actor=request.user, kind=form.cleaned_data["kind"], raw=upload.read(), filename=upload.name
            )
        except ValidationError as exc:
            form.add_error("file", exc.message)
    template = (
        "registry/partials/import_report.html"
        if request.headers.get("HX-Request")
        else "registry/import.html"
    )
    return render(
        request,
        template,
        {"form": form, "report": report},
        status=200 if report is None or report.committed else 422,
    )


@staff
def corrections(request):
    state = request.GET.get("state", "")
    qs = selectors.corrections_for(request.user, state=state)
    page = keyset_page(qs, order=["-id"], cursor=request.GET.get("cursor"), limit=50)
    return render(request, "registry/corrections.html", {"page": page, "state": state})


@staff
def correction_detail(request, correction_id: int):
    obj = selectors.correction_get_for(request.user, correction_id)

    def act(*, action: str, **kw):
        obj.workflow.transition(action)  # an unknown action: the workflow's ValidationError
        services.CORRECTION_TRANSITIONS[action](actor=request.user, request=obj, **kw)

    return _workflow_page(
        request, obj, act, "registry/correction_detail.html", "obj", "portal:correction_detail"
    )
