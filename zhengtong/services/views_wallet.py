"""Pages of the e-licence wallet (卡包), 亮证 and its verification, consented use by third parties,
and the benefits proposed without an application (免申即享). Views only call services and reads."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import segno
from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.access import authenticated, public
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.seals import selectors as seal_selectors
from zhengtong.services import selectors
from zhengtong.services.services import eligibility, wallet

REASONS = {
    "expired": gettext_lazy("the code has expired: ask the holder to show it again"),
    "bad_signature": gettext_lazy("the signature does not verify: the code is forged or altered"),
    "unknown_licence": gettext_lazy("no such e-licence"),
    "licence_revoked": gettext_lazy("the e-licence has been revoked"),
    "licence_suspended": gettext_lazy("the e-licence is suspended"),
    "licence_expired": gettext_lazy("the e-licence has expired"),
}


class ConsentForm(forms.Form):
    party_name = forms.CharField(label=gettext_lazy("Third party"), max_length=200)
    party_code = forms.CharField(
        label=gettext_lazy("Third party's credit code (optional)"), max_length=18, required=False
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=200)
    expires_on = forms.DateField(label=gettext_lazy("Consent ends on"), widget=DateInput())


@authenticated
def wallet_page(request):
    """卡包: the e-licences the user holds (and their entity's), each with its sealed file, 亮证,
    consents and the log of who verified or used it."""
    form = ConsentForm(request.POST or None, prefix="c")
    if request.method == "POST":
        licence_id = request.POST.get("licence", "")
        action = request.POST.get("action", "")
        try:
            if action == "file":
                wallet.licence_file_request(actor=request.user, licence_id=licence_id)
                messages.info(request, _("The sealed file is being made; it appears here in a moment."))
                return redirect("services:wallet")
            if action == "revoke":
                wallet.consent_revoke(actor=request.user, consent_id=request.POST.get("consent", ""))
                messages.success(request, _("Consent revoked."))
                return redirect("services:wallet")
            if action == "consent" and form.is_valid():
                consent, key = wallet.consent_grant(
                    actor=request.user, licence_id=licence_id, **form.cleaned_data
                )
                url = request.build_absolute_uri(reverse("services:licence_use", args=[key]))
                messages.success(
                    request,
                    _("Consent given to %(party)s. Give them this link (shown only now): %(url)s")
                    % {"party": consent.party_name, "url": url},
                )
                return redirect("services:wallet")
        except ValidationError as exc:
            apply_domain_error(form, exc)
        except (NotFound, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
    context = {"rows": selectors.wallet_of(request.user), "form": form}
    return render(request, "services/wallet.html", context, status=400 if form.errors else 200)


@authenticated
def wallet_show(request, pk: int):
    """亮证: a short-lived signed code of one valid e-licence, as a QR a third party scans."""
    try:
        text, expires = wallet.presentation_code(actor=request.user, licence_id=pk)
    except ValidationError as exc:
        messages.error(request, exc.message or "; ".join(m for ms in exc.fields.values() for m in ms))
        return redirect("services:wallet")
    licence = wallet.holder_licence(request.user, pk)
    url = request.build_absolute_uri(reverse("services:licence_verify")) + "?c=" + quote(text, safe="")
    qr = segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    context = {"licence": licence, "qr": qr, "url": url, "expires": timezone.localtime(expires), "text": text}
    response = render(request, "services/wallet_show.html", context)
    response["Cache-Control"] = "no-store"
    return response


@authenticated
def wallet_file(request, pk: int):
    """The sealed PDF of one e-licence, to its holder."""
    licence = wallet.holder_licence(request.user, pk)
    document = wallet.licence_file(licence)
    if document is None:
        raise NotFound(_("the licence's file is being made; try again in a minute"))
    response = HttpResponse(seal_selectors.document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{licence.number}-{document.code}.pdf"'
    return response


@public
def licence_verify(request):
    """A third party verifies a shown e-licence (亮证) by scanning its QR (the code in ``c``)."""
    code = request.GET.get("c", "")
    result = None
    if code:
        party = request.user.display_name if getattr(request.user, "is_authenticated", False) else ""
        result = wallet.presentation_verify(text=code, party=party or _("anonymous verifier"))
        if not result["valid"]:
            result["message"] = str(REASONS.get(result["reason"], _("not a valid e-licence code")))
    response = render(
        request,
        "services/licence_verify.html",
        {"result": result},
        status=200 if result is None or result["valid"] else 422,
    )
    response["Cache-Control"] = "no-store"
    return response


@public
def licence_use(request, key: str):
    """A third party's use of an e-licence under the holder's consent (logged for the holder)."""
    try:
        result = wallet.consent_use(key=key, detail="page")
    except (NotFound, PermissionDenied) as exc:
        return render(request, "services/licence_use.html", {"error": exc.message}, status=exc.status)
    return render(request, "services/licence_use.html", {"r": result, "key": key})


@public
def licence_use_file(request, key: str):
    document, pdf = wallet.consent_file(key=key)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.code}.pdf"'
    return response


@authenticated
def benefits(request):
    """免申即享: the benefits the registries found the user (or their entity) entitled to."""
    if request.method == "POST":
        pk, action = request.POST.get("entitlement", ""), request.POST.get("action", "")
        try:
            if action == "confirm":
                entitlement = eligibility.entitlement_confirm(actor=request.user, entitlement_id=pk)
                messages.success(
                    request,
                    _("Granted: %(benefit)s (case %(number)s).")
                    % {"benefit": entitlement.benefit.name, "number": entitlement.case.number},
                )
            elif action == "decline":
                eligibility.entitlement_decline(actor=request.user, entitlement_id=pk)
                messages.info(request, _("Declined."))
        except ValidationError as exc:
            messages.error(request, exc.message or "; ".join(m for ms in exc.fields.values() for m in ms))
        except (NotFound, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("services:benefits")
    rows = list(eligibility.entitlements_of(request.user).order_by("-id")[:50])
    return render(request, "services/benefits.html", {"rows": rows, "today": dt.date.today()})
