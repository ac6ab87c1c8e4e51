"""Pages of counter intake (帮办代办), 告知承诺制 and 跨省通办: the counter's intake form and its
receipt with the on-site rating, the citizen's proxy consents, the published list of 告知承诺
items, the 核查 worklist and the transfers both counters see. Views only call selectors and
services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.masking import mask_name
from zhengtong.services import eforms, selectors, selectors_onestop, services
from zhengtong.services.models_onestop import Delivery, IdCheckMethod, IdDocument, Relation
from zhengtong.services.services.transfers import receiving_units
from zhengtong.services.views import _form_context, _raw_from_post
from zhengtong.services.workflows import FINAL_STATES

DomainError = (ValidationError, Conflict, PermissionDenied, NotFound)
INTAKE_KEYS = {
    "item",
    "resident_id",
    "id_document",
    "id_method",
    "proxy_resident_id",
    "confirmation",
    "screen_confirmed",
    "signature",
    "delivery",
    "postal_address",
    "counter_unit",
}


def _commit_of(post) -> set[str]:
    return {k[len("commit_") :] for k, v in post.items() if k.startswith("commit_") and v}


def _intake_args(request) -> dict:
    post = request.POST
    confirmation = post.get("confirmation", "")
    if confirmation == "screen" and post.get("screen_confirmed") != "1":
        raise ValidationError.for_field("screen_confirmed", _("the applicant must confirm on screen"))
    raw = {
        k: v
        for k, v in _raw_from_post(request).items()
        if k not in INTAKE_KEYS and not k.startswith("commit_")
    }
    return {
        "resident_id": post.get("resident_id", ""),
        "id_document": post.get("id_document", ""),
        "id_method": post.get("id_method", ""),
        "proxy_resident_id": post.get("proxy_resident_id", "").strip(),
        "raw": raw,
        "files": request.FILES,
        "commit": _commit_of(post),
        "confirmation": confirmation,
        "signature": post.get("signature", ""),
        "strict": False,
    }


def _applicant_holdings(resident_id: str):
    from_rid = selectors_onestop.citizen_with_resident_id(resident_id)
    return (from_rid, eforms.holdings_for(from_rid)) if from_rid else (None, eforms.Holdings())


def _intake_page(request, *, item, mode: str, counter_unit=None, extra: dict | None = None):
    """The shared form of a counter intake and a 通办 reception."""
    errors: dict = {}
    rid = (request.POST.get("resident_id") or request.GET.get("resident_id") or "").strip().upper()
    if request.method == "POST" and item is not None:
        try:
            args = _intake_args(request)
            if mode == "transfer":
                transfer = services.transfer_receive(
                    actor=request.user,
                    counter_unit=counter_unit,
                    item=item,
                    delivery=request.POST.get("delivery", ""),
                    postal_address=request.POST.get("postal_address", ""),
                    **args,
                )
                messages.success(
                    request,
                    _("Transferred as %(tracking)s; case %(number)s")
                    % {"tracking": transfer.number, "number": transfer.case.number},
                )
                return redirect("services:counter_done", transfer.case.pk)
            case = services.counter_file(actor=request.user, item=item, **args)
            messages.success(request, _("Application %s filed at the counter.") % case.number)
            return redirect("services:counter_done", case.pk)
        except DomainError as exc:
            errors = getattr(exc, "fields", {}) or {}
            messages.error(request, _("Please correct the marked fields.") if errors else exc.message)
    applicant, holdings = _applicant_holdings(rid)
    fields = materials = []
    if item is not None and applicant is not None:
        raw = _raw_from_post(request) if request.method == "POST" else {}
        fields, materials = _form_context(
            request, item.current_version, raw=raw, errors=errors, holdings=holdings
        )
    return render(
        request,
        "services/counter.html",
        {
            "mode": mode,
            "item": item,
            "rid": rid,
            "applicant": applicant,
            "applicant_masked": mask_name(holdings.person.name) if holdings.person is not None else "",
            "fields": fields,
            "materials": materials,
            "errors": errors,
            "post": request.POST,
            "id_documents": IdDocument.choices,
            "id_methods": IdCheckMethod.choices,
            "deliveries": Delivery.choices,
            "counter_unit": counter_unit,
            **(extra or {}),
        },
        status=422 if errors else 200,
    )


@staff
def counter(request):
    """帮办: a counter clerk files for a walk-in applicant (item of their own counter)."""
    code = (request.POST.get("item") or request.GET.get("item") or "").strip()
    item = None
    if code:
        try:
            item = selectors.item_get(code)
        except NotFound as exc:
            messages.error(request, exc.message)
    items = selectors.catalogue().order_by("code")[:200]
    return _intake_page(request, item=item, mode="counter", extra={"items": items})


@staff
def transfer_receive(request):
    """收受分离: receive another region's item whose 通办 scope covers this counter."""
    units = receiving_units(request.user)
    unit_id = (
        request.POST.get("counter_unit") or request.GET.get("counter_unit") or (units[0].pk if units else "")
    )
    unit = next((u for u in units if str(u.pk) == str(unit_id)), None)
    items = selectors_onestop.tongban_items(unit) if unit is not None else []
    code = (request.POST.get("item") or request.GET.get("item") or "").strip()
    item = next((i for i in items if i.code == code), None)
    if code and item is None:
        messages.error(request, _("this item's 通办 scope does not cover your counter"))
    return _intake_page(
        request, item=item, mode="transfer", counter_unit=unit, extra={"items": items, "units": units}
    )


@staff
def counter_done(request, pk: int):
    """The counter's receipt and the applicant's on-site rating (一次一评) on the counter device."""
    case = selectors_onestop.intake_case_for_clerk(request.user, pk)
    if request.method == "POST":
        try:
            score = request.POST.get("score", "")
            if not score.isdigit():
                raise ValidationError.for_field("score", _("must be 1 to 5"))
            services.counter_rate(
                actor=request.user, case=case, score=int(score), comment=request.POST.get("comment", "")
            )
            messages.success(request, _("Thank you for rating the counter service."))
            return redirect("services:counter_done", case.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "services/counter_done.html",
        {
            "case": case,
            "intake": case.intake,
            "transfer": getattr(case, "transfer", None) if hasattr(case, "transfer") else None,
            "rating": case.ratings.filter(stage="accepted").first(),
            "levels": services.RATING_LEVELS.items(),
            "commitments": case.commitments.select_related("text"),
        },
    )


@public
def commitment_list(request):
    """The published list of 告知承诺 items with their 承诺书 texts."""
    return render(request, "services/commitments.html", {"rows": selectors_onestop.commitment_items()})


@staff
def checks(request):
    """核查 worklist: cases decided on commitments, each with its time limit."""
    if request.method == "POST":
        try:
            check = selectors_onestop.check_for_staff(request.user, int(request.POST.get("check", "0") or 0))
            version = request.POST.get("version", "")
            expected = int(version) if version.isdigit() else None
            if request.POST.get("action") == "confirm":
                services.check_confirm(
                    actor=request.user,
                    check=check,
                    note=request.POST.get("note", ""),
                    expected_version=expected,
                )
            else:
                services.check_find_false(
                    actor=request.user,
                    case=check.case,
                    note=request.POST.get("note", ""),
                    materials=request.POST.getlist("materials"),
                    expected_version=expected,
                )
            messages.success(request, _("Done."))
            return redirect(f"{request.path}?state={request.POST.get('state', 'open')}")
        except DomainError as exc:
            messages.error(request, exc.message)
    state = request.GET.get("state", "open")
    if state not in ("open", "kept", "false"):
        state = "open"
    rows = selectors_onestop.checks_for_staff(request.user, state=state).prefetch_related(
        "case__commitments"
    )[:100]
    return render(request, "services/checks.html", {"rows": rows, "state": state})


@staff
def transfers(request):
    """Transfers both counters see: the receiving counter and the competent unit."""
    if request.method == "POST":
        try:
            transfer = selectors_onestop.transfer_for_staff(
                request.user, int(request.POST.get("transfer", "0") or 0)
            )
            action = request.POST.get("action", "")
            version = request.POST.get("version", "")
            expected = int(version) if version.isdigit() else None
            if action == "post_result":
                services.transfer_post_result(
                    actor=request.user,
                    transfer=transfer,
                    post_tracking=request.POST.get("post_tracking", ""),
                    expected_version=expected,
                )
            elif action == "send_to_counter":
                services.transfer_send_to_counter(
                    actor=request.user, transfer=transfer, expected_version=expected
                )
            elif action == "hand_over":
                services.transfer_hand_over(
                    actor=request.user,
                    transfer=transfer,
                    note=request.POST.get("note", ""),
                    expected_version=expected,
                )
            else:
                raise ValidationError.for_field("action", _("unknown action"))
            messages.success(request, _("Done."))
            return redirect("services:transfers")
        except DomainError as exc:
            messages.error(request, exc.message)
    rows = []
    for t in selectors_onestop.transfers_for_staff(request.user)[:100]:
        rows.append(
            {
                "t": t,
                "actions": selectors_onestop.transfer_actions(t, request.user),
                "ended": t.case.state in FINAL_STATES,
            }
        )
    return render(
        request, "services/transfers.html", {"rows": rows, "may_receive": bool(receiving_units(request.user))}
    )


@authenticated
def proxies(request):
    """A citizen's family proxies (代办授权): consents given and held."""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                consent = selectors_onestop.consent_of_principal(
                    request.user, int(request.POST.get("consent", "0") or 0)
                )
                services.proxy_consent_revoke(actor=request.user, consent=consent)
            else:
                until = request.POST.get("valid_until", "")
                try:
                    day = dt.date.fromisoformat(until)
                except ValueError:
                    raise ValidationError.for_field("valid_until", _("enter a date as YYYY-MM-DD")) from None
                services.proxy_consent_grant(
                    actor=request.user,
                    proxy_resident_id=request.POST.get("proxy_resident_id", ""),
                    relation=request.POST.get("relation", ""),
                    scope=request.POST.get("scope", "").replace("，", ",").split(","),
                    valid_until=timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59))),
                )
            messages.success(request, _("Done."))
            return redirect("services:proxies")
        except DomainError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "services/proxies.html",
        {
            "consents": selectors_onestop.consents_of(request.user),
            "relations": Relation.choices,
            "now": timezone.now(),
            "post": request.POST,
        },
    )
