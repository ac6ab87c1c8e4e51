"""Pages: the public plan pages (公示) and master records; staff plans, the phone-sized
inspection page, penalty cases and the master record (一户一档)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core import ratelimit
from zhengtong.core.access import public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.core.workflow import timeline
from zhengtong.credit import selectors as credit_selectors
from zhengtong.registry import selectors as registry_selectors
from zhengtong.supervision import selectors, services
from zhengtong.supervision.models import PenaltyKind, PlatformKind, Result
from zhengtong.supervision.workflows import PENALTY_FLOW

DOMAIN_ERRORS = (ValidationError, Conflict, PermissionDenied)


def _limit(request) -> None:
    ratelimit.hit(
        "supervision.public",
        client_ip(request) or "-",
        limit=settings.SUPERVISION_PUBLIC_RATE_PER_MINUTE,
        window_seconds=60,
    )


def _version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


@public
def public_plans(request):
    _limit(request)
    return render(
        request,
        "supervision/public_plans.html",
        {"plans": selectors.plans_public()[:100], "items": selectors.items_public()[:200]},
    )


@public
def public_plan(request, number: str):
    _limit(request)
    plan = selectors.plan_public(number[:24])
    return render(
        request,
        "supervision/public_plan.html",
        {
            "plan": plan,
            "draw": selectors.published_draw(plan),
            "inspections": selectors.plan_inspections(plan),
        },
    )


@public
def public_photo(request, pk: int):
    """The metadata-free copy of a photo of a published inspection."""
    _limit(request)
    photo = selectors.published_photo(pk)
    if photo is None:
        raise Http404
    return FileResponse(open(services.photo_root() / photo.public, "rb"), content_type=photo.content_type)


def _record_page(request, uscc: str, *, public: bool):
    """The master record page: each section's first page, or a later page of one section
    (``?section=incidents&page=2``), with its pager."""
    section = request.GET.get("section", "")[:20]
    raw = request.GET.get("page", "1")
    page = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    try:
        record = selectors.entity_record(
            request.user if not public else None, uscc[:18], public=public, section=section, page=page
        )
    except ValidationError as exc:
        messages.error(request, exc.message)
        record = selectors.entity_record(request.user if not public else None, uscc[:18], public=public)
    pagers = {}
    for name, count in record["counts"].items():
        current = record["pages"][name]
        last = max(1, -(-count // record["page_size"]))
        pagers[name] = {
            "count": count,
            "page": current,
            "pages": last,
            "prev": f"?section={name}&page={current - 1}#{name}" if current > 1 else "",
            "next": f"?section={name}&page={current + 1}#{name}" if current < last else "",
        }
    return render(request, "supervision/entity.html", {"r": record, "pagers": pagers})


@public
def public_entity(request, uscc: str):
    _limit(request)
    return _record_page(request, uscc, public=True)


GRADES = ("A", "B", "C", "D", "U")
GRADE_LABELS = {
    "A": gettext_lazy("A (trustworthy)"),
    "B": gettext_lazy("B"),
    "C": gettext_lazy("C"),
    "D": gettext_lazy("D (dishonest)"),
    "U": gettext_lazy("not graded"),
}


class PlanForm(forms.Form):
    """A random inspection plan with its population filters (by entity type, region, licence
    held, credit grade) and the share drawn per grade (per mille; empty: the published model's)."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    department = forms.TypedChoiceField(label=gettext_lazy("Lead department"), coerce=int)
    joint = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Joint departments"), coerce=int, required=False
    )
    items = forms.MultipleChoiceField(label=gettext_lazy("Supervision items"))
    entity_type = forms.CharField(label=gettext_lazy("Entity type"), max_length=60, required=False)
    region_prefix = forms.RegexField(
        label=gettext_lazy("Region code prefix"),
        regex=r"^[0-9]{2,12}$",
        error_messages={"invalid": gettext_lazy("must be 2 to 12 digits of a region code, e.g. 330106")},
        required=False,
    )
    licence_type = forms.ChoiceField(
        label=gettext_lazy("Holding a valid e-licence of type (industry)"), required=False
    )
    grades = forms.MultipleChoiceField(
        label=gettext_lazy("Credit grades (none chosen: all)"),
        choices=[(g, GRADE_LABELS[g]) for g in GRADES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    inspectors_per_department = forms.IntegerField(
        label=gettext_lazy("Inspectors per department"), min_value=1, max_value=5, initial=1
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, d.name) for d in account_selectors.departments_for(user, "supervision.plan")
        ]
        # Any department of the user's own unit may be invited to a joint plan (跨部门联合抽查).
        unit = getattr(user, "org_unit", None)
        joint = account_selectors.departments_in(unit, subtree=False)[:100] if unit is not None else []
        self.fields["joint"].choices = [(d.pk, d.name) for d in joint]
        self.fields["items"].choices = [(i.code, i.name) for i in selectors.items_public()[:200]]
        self.fields["licence_type"].choices = [("", "—")] + [
            (code, lt.name) for code, lt in registry_selectors.licence_types_by_code().items()
        ]
        # The share drawn per grade: one field per stratum, the published model's share shown.
        for g in GRADES:
            default = credit_selectors.inspection_permille("" if g == "U" else g)
            self.fields[f"permille_{g}"] = forms.IntegerField(
                label=_("Drawn from grade %(grade)s (‰, default %(default)d)")
                % {"grade": GRADE_LABELS[g], "default": default},
                min_value=0,
                max_value=1000,
                required=False,
                widget=forms.NumberInput(attrs={"placeholder": default, "inputmode": "numeric"}),
            )

    def clean(self):
        data = super().clean()
        chosen = data.get("grades") or list(GRADES)
        shares = {g: data.get(f"permille_{g}") for g in GRADES}
        if all(
            (shares[g] if shares[g] is not None else credit_selectors.inspection_permille(g)) == 0
            for g in chosen
        ):
            self.add_error(
                f"permille_{chosen[0]}", _("at least one chosen grade must have a share above 0 ‰")
            )
        for g in GRADES:
            if shares[g] is not None and g not in chosen:
                self.add_error(f"permille_{g}", _("grade %s is not in the chosen grades") % g)
        return data

    def filters(self) -> dict:
        d = self.cleaned_data
        return {
            "entity_type": d["entity_type"].strip(),
            "region_prefix": d["region_prefix"],
            "licence_type": d["licence_type"],
            "grades": list(d["grades"]),
        }

    def permille(self) -> dict:
        return {
            g: self.cleaned_data[f"permille_{g}"]
            for g in GRADES
            if self.cleaned_data.get(f"permille_{g}") is not None
        }


PLAN_FIELD_NAMES = {
    "filters.entity_type": "entity_type",
    "filters.region_prefix": "region_prefix",
    "filters.licence_type": "licence_type",
    "filters.grades": "grades",
    **{f"permille.{g}": f"permille_{g}" for g in GRADES},
}


@staff
def plans(request):
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                joint_departments=[account_selectors.department_by_id(pk) for pk in data["joint"]],
                title=data["title"],
                items=list(selectors.items_public().filter(code__in=data["items"])),
                filters=form.filters(),
                permille=form.permille(),
                inspectors_per_department=data["inspectors_per_department"],
            )
            return redirect("supervision:plan", plan.number)
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc, field_names=PLAN_FIELD_NAMES)
    return render(
        request,
        "supervision/plans.html",
        {
            "form": form,
            "plans": selectors.plans_for(request.user)[:100],
            "items": selectors.items_for(request.user)[:200],
            "officers": selectors.officers_for(request.user)[:200],
            "penalties": selectors.penalties_for(request.user)[:50],
            "alerts": selectors.alerts_for(request.user).select_related("plan")[:50],
            "may_plan": bool(form.fields["department"].choices),
            "grade_d": credit_selectors.grade_counts().get("D", 0),
        },
    )


@staff
def plan_detail(request, number: str):
    plan = selectors.plan_get_for(request.user, number[:24])
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "commit":
                services.plan_commit(actor=request.user, plan=plan, expected_version=_version(request))
            elif action == "draw":
                services.plan_draw(actor=request.user, plan=plan, expected_version=_version(request))
            elif action == "publish":
                n = services.plan_publish_results(actor=request.user, plan=plan)
                messages.info(request, _("%d results published.") % n)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
            messages.success(request, _("Done."))
            return redirect("supervision:plan", plan.number)
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
            plan = selectors.plan_get_for(request.user, number[:24])
    return render(
        request,
        "supervision/plan.html",
        {
            "plan": plan,
            "draw": selectors.published_draw(plan),
            "inspections": selectors.plan_inspections(plan),
            "may_plan": services.may_plan(request.user, plan),
        },
    )


@staff
def my_inspections(request):
    return render(
        request,
        "supervision/my_inspections.html",
        {"inspections": selectors.my_inspections(request.user)[:100]},
    )


@staff
def inspection(request, pk: int):
    obj = selectors.inspection_get_for(request.user, pk)
    checks = [c for item in obj.plan.items.all() for c in item.checklist]
    if request.method == "POST":
        try:
            if request.FILES.get("photo"):
                services.inspection_photo_add(
                    actor=request.user, inspection=obj, data=request.FILES["photo"].read()
                )
            else:
                services.inspection_record(
                    actor=request.user,
                    inspection=obj,
                    checklist=[
                        {
                            "ok": request.POST.get(f"check{n}") == "yes",
                            "note": request.POST.get(f"note{n}", ""),
                        }
                        for n in range(len(checks))
                    ],
                    findings=request.POST.get("findings", ""),
                    result=request.POST.get("result", ""),
                    entity_signer=request.POST.get("entity_signer", ""),
                    entity_signature=services.signature_from_data_url(
                        request.POST.get("entity_signature", ""), "entity_signature"
                    ),
                    inspector_signature=services.signature_from_data_url(
                        request.POST.get("inspector_signature", ""), "inspector_signature"
                    ),
                    expected_version=_version(request),
                )
            messages.success(request, _("Saved."))
            return redirect("supervision:inspection", obj.pk)
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
            obj = selectors.inspection_get_for(request.user, pk)
    return render(
        request,
        "supervision/inspection.html",
        {
            "i": obj,
            "checks": checks,
            "results": Result.choices,
            "photos": obj.photos.all(),
            "officer_name": getattr(selectors.officer_of(request.user), "name", ""),
        },
    )


@staff
def inspection_signature(request, pk: int, signer: str):
    """A hand-drawn signature of an inspection record, for whoever may see the record; served
    only if the file still matches the SHA-256 on the record."""
    obj = selectors.inspection_get_for(request.user, pk)
    try:
        data = services.signature_image(obj, signer)
    except Conflict as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    except NotFound:
        raise Http404 from None
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@staff
def penalty(request, pk: int):
    case = selectors.penalty_get_for(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "decide":
                fine = request.POST.get("fine_yuan", "").strip()
                services.penalty_decide(
                    actor=request.user,
                    case=case,
                    decision_no=request.POST.get("decision_no", ""),
                    penalty_kind=request.POST.get("penalty_kind", ""),
                    legal_basis=request.POST.get("legal_basis", ""),
                    fine_fen=int(fine) * 100 if fine.isdigit() and len(fine) < 12 else None,
                    waived_hearing=request.POST.get("waived_hearing") == "on",
                    expected_version=_version(request),
                )
            elif action in services.PENALTY_ACTIONS:
                services.PENALTY_ACTIONS[action](
                    actor=request.user,
                    case=case,
                    note=request.POST.get("note", ""),
                    expected_version=_version(request),
                )
            else:
                raise ValidationError.for_field("action", _("unknown action"))
            messages.success(request, _("Done."))
            return redirect("supervision:penalty", case.pk)
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
            case = selectors.penalty_get_for(request.user, pk)
    return render(
        request,
        "supervision/penalty.html",
        {
            "case": case,
            "available": PENALTY_FLOW.available(case, request.user),
            "timeline": [(e, PENALTY_FLOW.state_label(e.to_state)) for e in timeline(case)],
            "kinds": PenaltyKind.choices,
            "state_label": PENALTY_FLOW.state_label(case.state),
        },
    )


@staff
def entity(request, uscc: str):
    return _record_page(request, uscc, public=False)


class ItemForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=500)
    checklist = forms.CharField(
        label=gettext_lazy("Checklist (one check per line)"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, d.name) for d in account_selectors.departments_for(user, "supervision.manage")
        ]


class OfficerForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    number = forms.CharField(label=gettext_lazy("Officer number"), max_length=20)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    certificate_no = forms.CharField(label=gettext_lazy("Enforcement certificate number"), max_length=40)
    certificate_valid_to = forms.DateField(label=gettext_lazy("Certificate valid to"), widget=DateInput())
    username = forms.CharField(label=gettext_lazy("Account (user name)"), max_length=150, required=False)
    residence_region = forms.CharField(
        label=gettext_lazy("Region of residence"), max_length=15, required=False
    )
    declared_relations = forms.CharField(
        label=gettext_lazy("Declared relations (credit codes, one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, d.name) for d in account_selectors.departments_for(user, "supervision.manage")
        ]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@staff
def items(request):
    """The supervision catalogue of the actor's scope, and a new item (supervision.manage)."""
    form = ItemForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.item_create(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                code=data["code"],
                name=data["name"],
                legal_basis=data["legal_basis"],
                checklist=_lines(data["checklist"]),
            )
            messages.success(request, _("Supervision item created."))
            return redirect("supervision:items")
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
    return render(
        request, "supervision/items.html", {"form": form, "items": selectors.items_for(request.user)[:500]}
    )


@staff
def officers(request):
    """The enforcement officers of the actor's scope, and registering one (supervision.manage)."""
    form = OfficerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_selectors.user_with_username(data["username"]) if data["username"] else None
            if data["username"] and account is None:
                raise ValidationError.for_field("username", _("no account with this user name"))
            services.officer_register(
                actor=request.user,
                department=account_selectors.department_by_id(data["department"]),
                number=data["number"],
                name=data["name"],
                certificate_no=data["certificate_no"],
                certificate_valid_to=data["certificate_valid_to"],
                user=account,
                residence_region=data["residence_region"],
                declared_relations=_lines(data["declared_relations"]),
            )
            messages.success(request, _("Officer registered."))
            return redirect("supervision:officers")
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
    return render(
        request,
        "supervision/officers.html",
        {"form": form, "officers": selectors.officers_for(request.user)[:500]},
    )


@staff
def targeted(request):
    """Seed a targeted plan (专项检查) from an alert: a platform-data alert (``alert``) or the
    credit alert (``credit``: grade D entities of the department's area). POST only."""
    if request.method != "POST":
        return redirect("supervision:plans")
    try:
        chosen = list(selectors.items_public().filter(code__in=request.POST.getlist("items")))
        if not chosen:
            raise ValidationError.for_field("items", _("choose at least one supervision item"))
        if request.POST.get("source") == "credit":
            department = account_selectors.department_by_id(request.POST.get("department"))
            if department is None:
                raise ValidationError.for_field("department", _("choose a department"))
            plan = services.plan_from_credit(actor=request.user, department=department, items=chosen)
        else:
            alert = selectors.alert_get_for(request.user, request.POST.get("alert", ""))
            plan = services.plan_from_alert(actor=request.user, alert=alert, items=chosen)
    except DOMAIN_ERRORS as exc:
        messages.error(request, exc.message)
        return redirect("supervision:plans")
    messages.success(request, _("Targeted plan created: commit it, then draw."))
    return redirect("supervision:plan", plan.number)


class PlatformForm(forms.Form):
    """Register a platform enterprise with the public part of its ES256 key (its credential)."""

    uscc = forms.CharField(label=gettext_lazy("Unified social credit code"), min_length=18, max_length=18)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PlatformKind.choices)
    department = forms.TypedChoiceField(label=gettext_lazy("Supervising department"), coerce=int)
    public_key = forms.CharField(
        label=gettext_lazy("Public key (PEM, ECDSA P-256)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "mono"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [
            (d.pk, d.name) for d in account_selectors.departments_for(user, "supervision.manage")
        ]


@staff
def platforms(request):
    """Platform data supervision (平台数据监管): registered platforms and their credentials,
    report types with their published schemas, per platform the last months' reports (on time,
    missing, overdue) and completeness, anomaly alerts with a form to seed a targeted plan;
    registering a platform needs supervision.manage."""
    form = PlatformForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entity = credit_selectors.entity_by_uscc(data["uscc"])
            services.platform_register(
                actor=request.user,
                entity=entity,
                kind=data["kind"],
                public_key_pem=data["public_key"],
                department=account_selectors.department_by_id(data["department"]),
            )
            messages.success(request, _("Platform registered."))
            return redirect("supervision:platforms")
        except NotFound as exc:
            form.add_error("uscc", exc.message)
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc, field_names={"public_key_pem": "public_key"})
    return render(
        request,
        "supervision/platforms.html",
        {
            "form": form,
            "overview": selectors.platforms_overview(
                request.user, report_types=services.REPORT_TYPES, due=services.report_due
            ),
            "schemas": services.published_schemas(),
            "items": selectors.items_for(request.user)[:200],
            "may_plan": bool(account_selectors.departments_for(request.user, "supervision.plan")),
            "may_manage": bool(form.fields["department"].choices),
        },
    )
