"""A data user's pages: apply for conditional data, and manage one's API keys and applications."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengtong.catalog import forms, selectors, services
from zhengtong.core.access import authenticated
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.core.forms import apply_domain_error


@authenticated
def apply(request, name: str):
    """Apply for a conditionally open dataset's rows (the owning department decides)."""
    try:
        resource = selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    names = [f["name"] for f in (resource.current_version.fields if resource.current_version else [])]
    form = forms.ApplicationForm(request.POST or None, field_names=names)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_submit(
                actor=request.user,
                resource=resource,
                purpose=form.cleaned_data["purpose"],
                fields=form.cleaned_data["fields"],
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your application was sent to %s.") % resource.department.name)
            return redirect("catalog:my_data")
    return render(
        request,
        "catalog/apply.html",
        {"resource": resource, "form": form},
        status=422 if form.errors else 200,
    )


@authenticated
def my_data(request):
    """A data user's API keys and applications."""
    form = forms.KeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            key, secret = services.api_key_create(actor=request.user, name=form.cleaned_data["name"])
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            form = forms.KeyForm()
    return render(
        request,
        "catalog/my_data.html",
        {
            "form": form,
            "secret": secret,
            "keys": selectors.keys_of(user=request.user),
            "applications": list(selectors.applications_of(user=request.user)[:100]),
        },
    )


@authenticated
@require_POST
def key_revoke(request, pk: int):
    key = selectors.key_get(pk)
    if key is None or key.owner_id != request.user.pk:
        raise Http404
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, _("The key was revoked."))
    return redirect("catalog:my_data")
