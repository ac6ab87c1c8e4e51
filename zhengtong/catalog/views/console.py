"""The publishers' and data security officers' console: resources, loads, field grades, the
review queue and data applications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengtong.accounts.permissions import can, can_on
from zhengtong.catalog import forms, further, selectors, services
from zhengtong.catalog.models import DataResource
from zhengtong.catalog.views.common import _schema_rows
from zhengtong.core.access import staff
from zhengtong.core.errors import NotFound, ValidationError, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.workflow import timeline


def _step(steps: dict, action: str):
    """The named service function for a posted lifecycle action (the HTTP edge maps, the
    services have one function per step)."""
    step = steps.get(action)
    if step is None:
        raise ValidationError.for_field("transition", _("unknown action “%s”") % action)
    return step


@staff
def my_resources(request):
    resources = list(selectors.my_resources(user=request.user)[:200])
    return render(
        request,
        "catalog/console/resources.html",
        {"resources": resources, "can_create": can(request.user, "catalog.edit")},
    )


@staff
def resource_new(request):
    departments = selectors.departments_to_edit(user=request.user)
    form = forms.ResourceForm(
        request.POST or None, departments=departments, initial={"openness": "unconditional"}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        dept = next((d for d in departments if d.pk == data.pop("department")), None)
        if dept is None:
            form.add_error("department", _("choose one of your departments"))
        else:
            name = data.pop("name")
            try:
                resource = services.resource_create(actor=request.user, department=dept, name=name, **data)
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Data resource created. Now upload its data."))
                return redirect("catalog:resource_manage", name=resource.name)
    return render(
        request,
        "catalog/console/resource_form.html",
        {"form": form, "creating": True},
        status=422 if form.errors else 200,
    )


def _staff_resource(request, name: str) -> DataResource:
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    if not selectors.may_see_staff(request.user, resource):
        raise Http404
    return resource


@staff
def resource_edit(request, name: str):
    resource = _staff_resource(request, name)
    initial = {k: getattr(resource, k) for k in services.METADATA_FIELDS}
    initial["keywords"] = ", ".join(resource.keywords)
    initial["keywords_en"] = ", ".join(resource.keywords_en)
    form = forms.ResourceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(actor=request.user, resource=resource, **form.cleaned_data)
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:resource_manage", name=resource.name)
    return render(
        request,
        "catalog/console/resource_form.html",
        {"form": form, "resource": resource, "creating": False},
        status=422 if form.errors else 200,
    )


@staff
def resource_manage(request, name: str):
    resource = _staff_resource(request, name)
    version = resource.current_version
    transitions = [
        {"name": t.name, "label": t.label, "note_required": t.note_required}
        for t in DataResource.workflow.available(resource, request.user)
    ]
    return render(
        request,
        "catalog/console/resource.html",
        {
            "resource": resource,
            "version": version,
            "schema_rows": _schema_rows(version),
            "loads": selectors.resource_loads(resource=resource, limit=10),
            "upload_form": forms.UploadForm(),
            "transitions": transitions,
            "timeline": timeline(resource),
            "can_edit": can_on(request.user, "catalog.edit", resource),
            "policy_choices": forms.POLICY_CHOICES,
            "grade_choices": forms.GRADE_CHOICES,
            "attachments": further.attachments_of(resource),
            "document_form": forms.DocumentForm(),
            "api_link_form": forms.ApiLinkForm(),
        },
    )


@staff
@require_POST
def upload(request, name: str):
    resource = _staff_resource(request, name)
    form = forms.UploadForm(request.POST, request.FILES)
    job = None
    if form.is_valid():
        try:
            job = services.load_start(
                actor=request.user,
                resource=resource,
                uploaded_file=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                file_name=form.cleaned_data["file"].name,
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
    if request.headers.get("HX-Request"):
        if job is None:
            return render(request, "catalog/console/upload_errors.html", {"form": form}, status=422)
        return render(request, "catalog/console/load_status.html", {"job": job})
    if job is None:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    else:
        messages.success(request, _("The load was started."))
    return redirect("catalog:resource_manage", name=resource.name)


@staff
def load_status(request, pk: int):
    job = selectors.load_get(pk)
    if job is None or not selectors.may_see_staff(request.user, job.resource):
        raise Http404
    template = (
        "catalog/console/load_status.html"
        if request.headers.get("HX-Request")
        else "catalog/console/load.html"
    )
    return render(request, template, {"job": job})


@staff
@require_POST
def transition(request, name: str):
    resource = _staff_resource(request, name)
    form = forms.TransitionForm(request.POST)
    if form.is_valid():
        try:
            step = _step(services.RESOURCE_STEPS, form.cleaned_data["action"])
            step(
                actor=request.user,
                resource=resource,
                note=form.cleaned_data["note"] or "",
                expected_version=form.cleaned_data["version"],
            )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Done: %s.") % resource.state_label)
    back = request.POST.get("next") or ""
    if back == "review":
        return redirect("catalog:review_queue")
    return redirect("catalog:resource_manage", name=resource.name)


@staff
@require_POST
def fields(request, name: str):
    """Confirm or override field grades and policies (posted per field: grade-<i>, policy-<i>)."""
    resource = _staff_resource(request, name)
    version = resource.current_version
    if version is None:
        raise Http404
    changes: dict[str, dict] = {}
    for i, f in enumerate(version.fields):
        grade = request.POST.get(f"grade-{i}", "")
        policy = request.POST.get(f"policy-{i}", "")
        change: dict[str, Any] = {}
        if grade and grade != f.get("grade"):
            change["grade"] = grade
        if policy:
            op, _sep, to = policy.partition(":")
            wanted = {"op": op, "to": to} if to else {"op": op}
            if (f.get("policy") or {}).get("op") != op or (to and (f.get("policy") or {}).get("to") != to):
                change["policy"] = wanted
        if change or request.POST.get(f"confirm-{i}"):
            changes[f["name"]] = change
    try:
        services.field_grades_set(
            actor=request.user,
            resource=resource,
            changes=changes,
            confirm_all=bool(request.POST.get("confirm_all")),
            note=request.POST.get("note", "")[:300],
        )
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Field grades saved as a new version."))
    return redirect("catalog:resource_manage", name=resource.name)


@staff
def review_queue(request):
    resources = list(selectors.review_queue(user=request.user)[:200])
    return render(request, "catalog/console/review.html", {"resources": resources})


@staff
def applications(request):
    items = list(selectors.applications_to_decide(user=request.user)[:200])
    return render(request, "catalog/console/applications.html", {"applications": items})


@staff
@require_POST
def application_decide(request, pk: int):
    application = selectors.applications_to_decide(user=request.user).filter(pk=pk).first()
    if application is None:
        raise Http404
    try:
        step = _step(services.APPLICATION_STEPS, request.POST.get("action", ""))
        step(
            actor=request.user,
            application=application,
            note=request.POST.get("note", ""),
            expected_version=int(request.POST["version"])
            if request.POST.get("version", "").isdigit()
            else None,
        )
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %s.") % application.state_label)
    return redirect("catalog:applications")
