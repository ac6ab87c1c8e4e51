"""Pages of the services module: the catalogue, applying (e-forms), my applications, bundles,
ratings, and the staff worklist. Views only call selectors and services."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
    retry_after_header,
)
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import keyset_page
from zhengtong.credit import selectors as credit_selectors
from zhengtong.payments.services import bill_for
from zhengtong.services import eforms, notices, progress, rating_views, selectors, services
from zhengtong.services.actions import case_action_run
from zhengtong.services.models import Case, ServiceKind
from zhengtong.services.services.commitments import current_text as commitments_current
from zhengtong.services.workflows import STAFF_BUTTONS

LIFE_EVENTS = {
    "business": ("开办企业", "Starting a business"),
    "birth": ("出生", "Having a baby"),
    "employment": ("就业创业", "Work and employment"),
    "housing": ("住房", "Housing"),
    "transport": ("交通出行", "Transport"),
    "health": ("医疗卫生", "Health"),
    "social_security": ("社会保障", "Social security"),
    "marriage": ("婚姻", "Marriage"),
    "retirement": ("退休养老", "Retirement"),
}
DEPARTMENT_KINDS = {
    "market_regulation": ("市场监管", "Market regulation"),
    "public_security": ("公安", "Public security"),
    "human_resources": ("人力社保", "Human resources and social security"),
    "health": ("卫生健康", "Health"),
    "civil_affairs": ("民政", "Civil affairs"),
    "tax": ("税务", "Tax"),
    "medical_insurance": ("医疗保障", "Healthcare security"),
    "fire_rescue": ("消防救援", "Fire and rescue"),
    "natural_resources": ("自然资源", "Natural resources"),
}


DELIVERY = {
    "counter": gettext_lazy("collect at the counter (窗口领取)"),
    "post": gettext_lazy("by post, free (免费邮寄)"),
    "electronic": gettext_lazy("electronic result (电子证照/网上送达)"),
}


def _label(pair: tuple[str, str]) -> str:
    return pair[1] if eforms._lang_en() else pair[0]


def _raw_from_post(request) -> dict:
    return {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "action", "version")}


@public
def catalogue(request):
    f = {k: request.GET.get(k, "") for k in ("q", "department", "life_event", "visits", "kind")}
    qs = selectors.catalogue(**f)
    page = keyset_page(qs.order_by("id"), order=["id"], cursor=request.GET.get("cursor"), limit=50)
    return render(
        request,
        "services/catalogue.html",
        {
            "page": page,
            "f": f,
            "life_events": [(k, _label(v)) for k, v in LIFE_EVENTS.items()],
            "departments": [(k, _label(v)) for k, v in DEPARTMENT_KINDS.items()],
            "kinds": ServiceKind.choices,
            "bundles": selectors.bundles_published(),
        },
    )


@public
def item_detail(request, code: str):
    item = selectors.item_get(code)
    holdings = eforms.holdings_for(request.user) if request.user.is_authenticated else eforms.Holdings()
    status = eforms.material_status(item.current_version.materials, holdings)
    materials = [
        {**m, "label": eforms.label_of(m), "status": status[m["code"]]}
        for m in item.current_version.materials
    ]
    return render(
        request,
        "services/item_detail.html",
        {
            "item": item,
            "v": item.current_version,
            "flow": progress.item_flow(item.current_version),
            "delivery": [str(DELIVERY.get(d, d)) for d in item.current_version.delivery or []],
            "materials": materials,
            "logged_in": request.user.is_authenticated,
        },
    )


def _form_context(request, version, *, raw: dict, errors: dict, prefix: str = "", skip=None, holdings=None):
    holdings = holdings or eforms.holdings_for(request.user)
    values, sources = eforms.autofill(version.form_schema, holdings)
    merged = {**raw, **values}
    status = eforms.material_status(version.materials, holdings)
    fields = eforms.fields_for_render(
        version.form_schema, values=merged, sources=sources, errors=errors, prefix=prefix, skip=skip
    )
    lic_names = {code: lic.licence_type.name for code, lic in holdings.licences.items()}
    for fld in fields:
        src = sources.get(fld["name"][len(prefix) :], "")
        if src.startswith("licence:"):
            fld["source"] = _("e-licence: %s") % lic_names.get(src.split(".")[0][8:], src)
    materials = []
    for m in version.materials:
        st = status[m["code"]]
        by = st["by"]
        note = ""
        if by == "licence":
            note = _("provided by your e-licence %s") % lic_names.get(m["source"][8:], "")
        elif by == "population":
            note = _("provided by the population registry")
        elif by == "legal_entity":
            note = _("provided by the legal-entity registry")
        elif by == "service":
            note = _("provided by the result of another service")
        elif m.get("tolerable"):
            note = _("may be supplied after acceptance (容缺受理)")
        text = commitments_current(m["commitment"]) if m.get("commitment") and not by else None
        materials.append(
            {
                **m,
                "label": eforms.label_of(m),
                "satisfied": bool(by),
                "note": note,
                "field": f"{prefix}material_{m['code']}",
                "errors": errors.get(f"{prefix}material_{m['code']}", []),
                # 告知承诺制: the 承诺书 the applicant may sign in place of the material.
                "commitment_text": text,
                "commit_field": f"{prefix}commit_{m['code']}",
                "committed": bool(raw.get(f"{prefix}commit_{m['code']}")),
            }
        )
    return fields, materials


@authenticated
def apply(request, code: str):
    item = selectors.item_get(code)
    version = item.current_version
    key = f"item:{item.code}"
    errors: dict = {}
    raw = services.draft_get(request.user, key)
    if request.method == "POST":
        raw = _raw_from_post(request)
        try:
            if request.POST.get("action") == "draft":
                services.draft_save(actor=request.user, key=key, data=raw)
                messages.success(request, _("Draft saved. You can come back to it later."))
                return redirect("services:apply", item.code)
            commit = {k[7:] for k, v in raw.items() if k.startswith("commit_") and v}
            case = services.case_submit(
                actor=request.user, item=item, raw=raw, files=request.FILES, strict=False, commit=commit
            )
            messages.success(request, _("Application %s submitted.") % case.number)
            return redirect("services:my_case", case.pk)
        except (ValidationError, PermissionDenied, Conflict) as exc:
            errors = getattr(exc, "fields", {}) or {}
            messages.error(request, _("Please correct the marked fields.") if errors else exc.message)
    fields, materials = _form_context(request, version, raw=raw, errors=errors)
    return render(
        request,
        "services/apply.html",
        {"item": item, "v": version, "fields": fields, "materials": materials, "errors": errors},
        status=422 if errors else 200,
    )


@authenticated
def my_cases(request):
    page = keyset_page(
        selectors.my_cases(request.user), order=["-id"], cursor=request.GET.get("cursor"), limit=30
    )
    bundles = selectors.my_bundle_applications(request.user)[:20]
    return render(request, "services/my_cases.html", {"page": page, "bundle_apps": bundles})


@authenticated
def my_case(request, pk: int):
    case = selectors.case_for_applicant(request.user, pk)
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        version = request.POST.get("version", "")
        try:
            if not version.isdigit():
                raise ValidationError.for_field("version", _("reload the page and try again"))
            if action == "resubmit":
                services.case_resubmit(
                    actor=request.user,
                    case=case,
                    raw=_raw_from_post(request),
                    files=request.FILES,
                    expected_version=int(version),
                    strict=False,
                )
                messages.success(request, _("Corrected application resubmitted."))
            elif action == "supply":
                services.case_supply(
                    actor=request.user, case=case, files=request.FILES, expected_version=int(version)
                )
                messages.success(request, _("Owed materials received."))
            elif action == "withdraw":
                services.case_withdraw(actor=request.user, case=case, expected_version=int(version))
                messages.success(request, _("Application withdrawn."))
            elif action in ("rate", "verdict"):
                rating_views.case_rating_post(request, case)
            return redirect("services:my_case", case.pk)
        except (ValidationError, PermissionDenied, Conflict) as exc:
            errors = getattr(exc, "fields", {}) or {}
            messages.error(request, exc.message)
            case = selectors.case_for_applicant(request.user, pk)
    fields = materials = None
    if case.state == "correction_requested":
        fields, materials = _form_context(request, case.item_version, raw=case.data, errors=errors)
    bill = services.case_bill(case) if case.fee_fen else None
    return render(
        request,
        "services/my_case.html",
        {
            "case": case,
            "obj": case,
            "timeline": progress.case_progress(case),
            "notices": notices.case_notices(case),
            "fields": fields,
            "materials": materials,
            **rating_views.case_rating_context(case),
            "bill": bill,
            "errors": errors,
            "display_data": _display_data(case),
        },
    )


def _display_data(case: Case, revealable: dict | None = None, revealed: dict | None = None) -> list[dict]:
    """The application data as the case pages show it: identifiers masked by the privacy
    detectors whatever their source; on the staff page, which of them can be shown in full
    (``revealable``) and the one shown (``revealed``)."""
    props = case.item_version.form_schema.get("properties") or {}
    en = eforms._lang_en()
    rows = []
    for name, value in case.data.items():
        prop = props.get(name, {})
        key = f"data:{name}"
        source = case.sources.get(name, "")
        rows.append(
            {
                "label": (prop.get("x-title-en") if en else None) or prop.get("title") or name,
                "value": services.masked(value),
                "source": eforms.source_label(source) if source else _("typed by the applicant"),
                "key": key,
                "revealable": key in (revealable or {}),
                "revealed": (revealed or {}).get(key),
            }
        )
    return rows


def _staff_materials(case: Case, revealable: dict, revealed: dict) -> list[dict]:
    """The case's materials for the staff page: an e-licence's number masked like the data."""
    rows = []
    for m in case.item_version.materials:
        status = (case.materials or {}).get(m["code"]) or {}
        key = f"material:{m['code']}"
        rows.append(
            {
                "name": m["name"],
                "by": status.get("by") or "",
                "number": services.masked(status.get("number") or ""),
                "sha": (status.get("sha256") or "")[:12],
                "key": key,
                "revealable": key in revealable,
                "revealed": revealed.get(key),
            }
        )
    return rows


@public
def bundle_detail(request, code: str):
    bundle = selectors.bundle_get(code)
    shared, own = services.bundle_schema(bundle)
    errors: dict = {}
    raw: dict = {}
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        raw = _raw_from_post(request)
        try:
            if request.POST.get("action") == "draft":
                services.draft_save(actor=request.user, key=f"bundle:{bundle.code}", data=raw)
                messages.success(request, _("Draft saved. You can come back to it later."))
                return redirect("services:bundle", bundle.code)
            app = services.bundle_submit(actor=request.user, bundle=bundle, raw=raw, files=request.FILES)
            messages.success(request, _("Bundle application %s submitted.") % app.number)
            return redirect("services:bundle_status", app.pk)
        except (ValidationError, PermissionDenied, Conflict) as exc:
            errors = getattr(exc, "fields", {}) or {}
            messages.error(request, _("Please correct the marked fields.") if errors else exc.message)
    elif request.user.is_authenticated:
        raw = services.draft_get(request.user, f"bundle:{bundle.code}")
    holdings = eforms.holdings_for(request.user) if request.user.is_authenticated else eforms.Holdings()
    shared_values, shared_sources = eforms.autofill(shared, holdings)
    shared_fields = eforms.fields_for_render(
        shared, values={**raw, **shared_values}, sources=shared_sources, errors=errors
    )
    parts = []
    total = 0
    for item, mine in own:
        v = item.current_version
        total += v.fee_fen
        values, sources = eforms.autofill(mine, holdings)
        part_raw = {k[len(item.code) + 1 :]: val for k, val in raw.items() if k.startswith(item.code + ".")}
        fields = eforms.fields_for_render(
            mine, values={**part_raw, **values}, sources=sources, errors=errors, prefix=item.code + "."
        )
        _f, materials = (
            _form_context(request, v, raw={}, errors={}, holdings=holdings)
            if request.user.is_authenticated
            else ([], [])
        )
        parts.append({"item": item, "fields": fields, "materials": materials})
    return render(
        request,
        "services/bundle.html",
        {"bundle": bundle, "shared_fields": shared_fields, "parts": parts, "total": total, "errors": errors},
        status=422 if errors else 200,
    )


@authenticated
def bundle_status(request, pk: int):
    app = selectors.bundle_status(request.user, pk)
    bill = None
    if app.fee_fen:
        bill = bill_for(f"bundle:{app.pk}")
    return render(request, "services/bundle_status.html", {"app": app, "bill": bill})


# --- staff ------------------------------------------------------------------------------


@staff
def worklist(request):
    view = request.GET.get("view", "open")
    if view not in selectors.WORKLIST_FILTERS:
        view = "open"
    item = request.GET.get("item", "")
    q = request.GET.get("q", "")
    page = keyset_page(
        selectors.worklist(request.user, view=view, item=item, q=q),
        order=["-id"],
        cursor=request.GET.get("cursor"),
        limit=30,
    )
    views = [
        ("open", _("Open")),
        ("to_accept", _("To accept")),
        ("under_review", _("Under review")),
        ("correction", _("Awaiting correction")),
        ("due_soon", _("Due soon")),
        ("overdue", _("Overdue")),
        ("done", _("Finished")),
    ]
    return render(
        request,
        "services/worklist.html",
        {
            "page": page,
            "view": view,
            "views": views,
            "counts": selectors.worklist_counts(request.user),
            "q": q,
            "item": item,
        },
    )


@staff
def staff_case(request, pk: int):
    case = selectors.case_for_staff(request.user, pk)
    revealed: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("action") == "reveal":
        # 显示完整号码: one identifier, audited; shown on this answer only (never in a URL)
        field = request.POST.get("field", "")
        try:
            revealed[field] = services.case_identifier_reveal(
                actor=request.user, case=case, field=field, reason=request.POST.get("reason", "")
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, exc.message)
    elif request.method == "POST":
        action = request.POST.get("action", "")
        version = request.POST.get("version", "")
        note = request.POST.get("note", "")
        try:
            if not version.isdigit():
                raise ValidationError.for_field("version", _("reload the page and try again"))
            case_action_run(
                actor=request.user,
                case=case,
                action=action,
                note=note,
                items=[line for line in request.POST.get("items", "").splitlines() if line.strip()],
                expected_version=int(version),
                owed_until=request.POST.get("owed_until", ""),
            )
            messages.success(request, _("Done."))
            return redirect("services:staff_case", case.pk)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
            case = selectors.case_for_staff(request.user, pk)
    available = Case.workflow.available(case, request.user)
    names = {t.name for t in available}
    unpaid = bool(case.fee_fen and case.paid_at is None)
    # Accepting needs the fee paid (the service refuses it): the button is not offered meanwhile.
    buttons = [t for t in available if t.name in STAFF_BUTTONS and not (unpaid and t.name == "accept")]
    can_review = "approve" in names or "sign" in names
    revealable = services.case_identifiers(case)
    return render(
        request,
        "services/staff_case.html",
        {
            "case": case,
            "obj": case,
            "timeline": progress.case_progress(case),
            "notices": notices.case_notices(case),
            "buttons": buttons,
            "can_review": can_review and case.current_step is not None,
            "opinions": case.opinions.select_related("reviewer"),
            "display_data": _display_data(case, revealable, revealed),
            "staff_materials": _staff_materials(case, revealable, revealed),
            "unpaid": unpaid,
            # 容缺受理: materials accepted as owed (before acceptance) or still owed (after).
            "owed": case.owed_materials or (services.owed_of(case) if case.state == "submitted" else []),
            # Joint credit measures (联合奖惩) shown to the staff member who accepts the case.
            "credit": credit_selectors.measures_for(case.applicant_entity.uscc)
            if case.applicant_entity_id
            else None,
        },
    )


class TrackForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Case number"), max_length=32)
    check = forms.CharField(
        label=gettext_lazy("Check value"),
        max_length=6,
        help_text=gettext_lazy("Last 4 digits of the mobile number, or last 6 characters of the ID number"),
    )


@public
def track(request):
    """Public 办件查询: a case's progress by its number and the check value (see progress.case_track)."""
    form = TrackForm(request.GET if request.GET else None)
    context: dict = {"form": form, "result": None}
    status, headers = 200, {}
    if form.is_bound:
        try:
            context["result"] = progress.case_track(
                number=request.GET.get("number", ""),
                check=request.GET.get("check", ""),
                client=client_ip(request) or "",
            )
        except ValidationError as exc:
            apply_domain_error(form, exc)
            status = 400
        except (NotFound, RateLimited) as exc:
            form.add_error(None, exc.message)
            status, headers = exc.status, retry_after_header(exc)
    response = render(request, "services/track.html", context, status=status)
    for header, value in headers.items():
        response[header] = value
    return response


@authenticated
def case_notice(request, pk: int, code: str):
    """A sealed notice of a case as PDF: to its applicant, or to staff who may see the case."""
    case = (
        selectors.case_for_applicant(request.user, pk)
        if not request.user.is_staff_member
        else selectors.case_for_staff(request.user, pk)
    )
    document, pdf = notices.case_notice_pdf(case, code)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.number}-{document.code}.pdf"'
    return response
