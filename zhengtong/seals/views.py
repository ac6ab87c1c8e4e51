"""Public pages: verify a sealed document by its code or by uploading the PDF; the published keys."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from zhengtong.core import ratelimit
from zhengtong.core.access import public
from zhengtong.core.errors import RateLimited, ValidationError, retry_after_header
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.seals import selectors, services


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=16, required=False)
    file = forms.FileField(label=_("Or the PDF file"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("code") and not data.get("file"):
            raise forms.ValidationError(
                _("Enter the verification code printed on the document or choose its PDF.")
            )
        upload = data.get("file")
        if upload is not None and upload.size > settings.SEALS_VERIFY_MAX_BYTES:
            self.add_error("file", _("The file is larger than the limit."))
        return data


def _limit(request) -> None:
    ratelimit.hit(
        "seals.verify", client_ip(request) or "-", limit=settings.SEALS_VERIFY_PER_MINUTE, window_seconds=60
    )


def _result_context(result: services.Verification) -> dict:
    document = result.document
    return {
        "result": result,
        "document": document,
        "key": result.key,
    }


@public
def verify(request):
    form = VerifyForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    status, headers = 200, {}
    if request.method == "POST" and form.is_valid():
        try:
            _limit(request)
            upload = form.cleaned_data.get("file")
            if upload is not None:
                result = services.verify_pdf(upload.read())
            else:
                document = selectors.document_by_code(form.cleaned_data["code"].strip())
                result = services.verify_document(document) if document else services.Verification("unknown")
            context.update(_result_context(result))
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status, headers = exc.status, retry_after_header(exc)
        except ValidationError as exc:
            apply_domain_error(form, exc)
    response = render(request, "seals/verify.html", context, status=status)
    for header, value in headers.items():
        response[header] = value
    return response


@public
def verify_code(request, code: str):
    try:
        _limit(request)
    except RateLimited as exc:
        response = render(
            request, "seals/verify.html", {"form": VerifyForm(), "limited": exc.message}, status=429
        )
        for header, value in retry_after_header(exc).items():
            response[header] = value
        return response
    document = selectors.document_by_code(code)
    if document is None:
        raise Http404
    context = {"form": VerifyForm(initial={"code": document.code})}
    context.update(_result_context(services.verify_document(document)))
    return render(request, "seals/verify.html", context)


@public
def jwks(request):
    response = JsonResponse(selectors.jwks(), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
