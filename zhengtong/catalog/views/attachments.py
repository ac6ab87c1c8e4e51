"""A dataset's further resources: downloading a document (with its grade's permission check),
and the publishers' forms to attach documents and API links, remove them, and set the fields'
Chinese and English titles."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengtong.catalog import further, selectors, services
from zhengtong.catalog.forms import ApiLinkForm, DocumentForm
from zhengtong.catalog.views.console import _staff_resource
from zhengtong.core.access import public, staff
from zhengtong.core.errors import NotFound, ZhengtongError


def _resource(request, name: str):
    try:
        return selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None


@public
def document(request, name: str, pk: int, filename: str):
    """A document's file, as an attachment; 403 when its grade does not allow the user."""
    resource = _resource(request, name)
    try:
        attachment = further.attachment_get(resource=resource, pk=pk)
    except NotFound:
        raise Http404 from None
    if attachment.kind != "document":
        raise Http404
    if not further.document_allowed(request.user, resource, attachment):
        raise PermissionDenied(_("This document's grade does not allow you to download it."))
    try:
        handle = open(attachment.file_path, "rb")  # noqa: SIM115 - FileResponse closes it
    except OSError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.file_name, content_type=attachment.media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    if resource.state == "published":
        services.usage_record(resource, "downloads")
    return response


def _errors(request, form) -> None:
    for field, errors in form.errors.items():
        for e in errors:
            messages.error(request, f"{form.fields[field].label if field in form.fields else field}: {e}")


@staff
@require_POST
def document_add(request, name: str):
    resource = _staff_resource(request, name)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.document_add(
                actor=request.user,
                resource=resource,
                uploaded_file=data["file"],
                file_name=data["file"].name,
                title=data["title"],
                title_en=data["title_en"],
                description=data["description"],
                grade=data["grade"],
            )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Document attached."))
    else:
        _errors(request, form)
    return redirect("catalog:resource_manage", name=resource.name)


@staff
@require_POST
def api_link_add(request, name: str):
    resource = _staff_resource(request, name)
    form = ApiLinkForm(request.POST)
    if form.is_valid():
        try:
            services.api_link_add(actor=request.user, resource=resource, **form.cleaned_data)
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("API link added."))
    else:
        _errors(request, form)
    return redirect("catalog:resource_manage", name=resource.name)


@staff
@require_POST
def attachment_remove(request, name: str, pk: int):
    resource = _staff_resource(request, name)
    try:
        attachment = further.attachment_get(resource=resource, pk=pk)
        services.attachment_remove(actor=request.user, attachment=attachment)
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed."))
    return redirect("catalog:resource_manage", name=resource.name)


@staff
@require_POST
def field_titles(request, name: str):
    """The fields' Chinese and English titles (posted per field: title-<i>, title_en-<i>)."""
    resource = _staff_resource(request, name)
    version = resource.current_version
    if version is None:
        raise Http404
    titles = {}
    for i, f in enumerate(version.fields):
        change = {}
        for key in ("title", "title_en"):
            posted = request.POST.get(f"{key}-{i}")
            if posted is not None and posted.strip() != (f.get(key) or ""):
                change[key] = posted
        if change:
            titles[f["name"]] = change
    if not titles:
        messages.info(request, _("Nothing changed."))
        return redirect("catalog:resource_manage", name=resource.name)
    try:
        services.field_titles_set(actor=request.user, resource=resource, titles=titles)
    except ZhengtongError as exc:
        messages.error(request, exc.message)
        for field, errors in ((exc.details or {}).get("fields") or {}).items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    else:
        messages.success(request, _("Field titles saved."))
    return redirect("catalog:resource_manage", name=resource.name)
