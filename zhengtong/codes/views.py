"""Pages of codes: my code (citizens), rules, verifier, risk map and indices (public), console."""

from __future__ import annotations

import json
from functools import lru_cache

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can
from zhengtong.codes import keys, selectors, services
from zhengtong.codes.models import (
    RISK_HEX,
    Appeal,
    ColourOverride,
    Purpose,
    RiskLevel,
    SigningKey,
    Subject,
    SubjectRecord,
)
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.forms import DateInput
from zhengtong.registry import selectors as registry_selectors


def _purpose(request) -> Purpose:
    code = request.GET.get("purpose") or request.POST.get("purpose") or "health"
    purpose = Purpose.objects.filter(code=code).first() or Purpose.objects.filter(is_active=True).first()
    if purpose is None:
        raise NotFound(_("no purpose is configured"))
    return purpose


def _localise(reasons: list[dict]) -> list[dict]:
    english = (get_language() or "").startswith("en")
    return [
        {
            **r,
            "text": (
                r.get("description_en") if english and r.get("description_en") else r.get("description")
            ),
            "how": (r.get("advice_en") if english and r.get("advice_en") else r.get("advice")),
        }
        for r in reasons
    ]


@lru_cache(maxsize=512)
def _qr_svg(code: str, title: str) -> str:
    """QR rendering is pure Python (tens of ms): a code is rendered once per process and title."""
    return segno.make(code, error="q").svg_inline(
        scale=4, dark="#000", light="#fff", title=title, omitsize=True
    )


class AppealForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Appeal.Kind.choices)
    text = forms.CharField(
        label=gettext_lazy("What is wrong?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=5,
        max_length=2000,
    )


@authenticated
def my_code(request):
    purpose = _purpose(request)
    subject = services.subject_of_user(request.user)
    ctx = {"purpose": purpose, "subject": subject, "purposes": Purpose.objects.all(), "form": AppealForm()}
    if subject is not None and purpose.is_active:
        if request.method == "POST":
            form = AppealForm(request.POST)
            if form.is_valid():
                try:
                    services.appeal_submit(
                        actor=request.user,
                        subject=subject,
                        purpose=purpose,
                        kind=form.cleaned_data["kind"],
                        text=form.cleaned_data["text"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, _("Your request was received. You will be told the outcome."))
                    return redirect(f"{request.path}?purpose={purpose.code}")
            ctx["form"] = form
        issuance = services.current_issuance(subject, purpose)
        rule_set = services.rule_set_current(purpose)
        ctx.update(
            issuance=issuance,
            qr_svg=_qr_svg(issuance.code, _("Your code")),
            reasons=_localise(issuance.reasons),
            rules=_localise(rule_set.rules if rule_set else []),
            rule_set=rule_set,
            appeals=Appeal.objects.filter(subject=subject, purpose=purpose)[:10],
        )
    return render(request, "codes/my_code.html", ctx)


@authenticated
def my_code_png(request):
    purpose = _purpose(request)
    subject = services.subject_of_user(request.user)
    if subject is None or not purpose.is_active:
        raise NotFound(_("no code"))
    issuance = services.current_issuance(subject, purpose)
    from io import BytesIO

    buf = BytesIO()
    segno.make(issuance.code, error="q").save(buf, kind="png", scale=6)
    response = HttpResponse(buf.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@public
def rules(request):
    blocks = []
    for p in Purpose.objects.all():
        sets = selectors.rule_sets_of(p)
        blocks.append(
            {
                "purpose": p,
                "current": services.rule_set_current(p),
                "sets": [
                    {
                        "rs": rs,
                        "rules": _localise(rs.rules),
                        "json": json.dumps(rs.rules, ensure_ascii=False, indent=1),
                    }
                    for rs in sets
                ],
            }
        )
    return render(request, "codes/rules.html", {"blocks": blocks})


@public
def verifier(request):
    return render(
        request,
        "codes/verify.html",
        {
            "purposes": Purpose.objects.all(),
            "prefix": settings.CODES_PREFIX,
            "max_bytes": settings.CODES_MAX_DECOMPRESSED_BYTES,
        },
    )


@public
def risk_map(request):
    day, rows = selectors.risk_on(None)
    for row in rows:
        row["level_label"] = RiskLevel(row["level"]).label
    legend = [{"level": lv.value, "label": str(lv.label), "colour": RISK_HEX[lv.value]} for lv in RiskLevel]
    return render(
        request,
        "codes/risk_map.html",
        {
            "day": day,
            "rows": rows,
            "legend": legend,
            "thresholds": services.risk_thresholds(),
            "days": [d.isoformat() for d in selectors.risk_days()],
        },
    )


@public
def indices(request):
    series = selectors.index_series(kind="resumption_rate")
    power = selectors.index_series(kind="power_index")
    latest = selectors.index_latest_by_county("resumption_rate")
    chart = [{"name": r["day"].isoformat(), "value": r["value"]} for r in series]
    return render(
        request,
        "codes/indices.html",
        {
            "series": series,
            "power": power,
            "latest": latest,
            "chart": chart,
            "threshold": settings.CODES_RESUMPTION_PERCENT,
        },
    )


# ---------------------------------------------------------------- console


class LookupForm(forms.Form):
    resident_id = forms.CharField(label=gettext_lazy("Resident ID number"), max_length=18)


@staff
def console(request):
    if not can(request.user, "codes.view"):
        raise PermissionDenied(_("you may not see codes"))
    form = LookupForm(request.GET or None)
    if form.is_valid():
        person = registry_selectors.person_with_resident_id(form.cleaned_data["resident_id"].upper())
        if person is None or not can(request.user, "codes.view", person.org_unit):
            form.add_error("resident_id", _("no person with this ID in your scope"))
        else:
            return redirect("codes:subject", subject_id=services.subject_for_person(person).pk)
    appeals = [
        a
        for a in Appeal.objects.filter(state="submitted").select_related("org_unit")[:50]
        if can(request.user, "codes.review_appeal", a.org_unit)
    ]
    return render(
        request,
        "codes/console.html",
        {
            "form": form,
            "appeals": appeals,
            "stats": selectors.verification_stats(),
            "keys": SigningKey.objects.all()[:20],
            "purposes": Purpose.objects.all(),
            "can_manage": can(request.user, "codes.manage_rules"),
            "can_keys": can(request.user, "codes.manage_keys"),
        },
    )


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SubjectRecord.Kind.choices)
    occurred_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=DateInput())
    result = forms.ChoiceField(
        label=gettext_lazy("Test result"),
        required=False,
        choices=[("", "—"), ("negative", gettext_lazy("negative")), ("positive", gettext_lazy("positive"))],
    )
    region = forms.CharField(
        label=gettext_lazy("County code (arrival or trip)"), max_length=6, required=False
    )


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(
        label=gettext_lazy("Colour"),
        choices=[
            ("green", gettext_lazy("green")),
            ("yellow", gettext_lazy("yellow")),
            ("red", gettext_lazy("red")),
        ],
    )
    hours = forms.IntegerField(label=gettext_lazy("Hours"), min_value=1, max_value=336, initial=72)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}), min_length=5
    )


@staff
def subject(request, subject_id: int):
    subj = get_object_or_404(Subject.objects.select_related("org_unit", "person"), pk=subject_id)
    if not can(request.user, "codes.view", subj.org_unit):
        raise PermissionDenied(_("this subject is outside your scope"))
    purpose = _purpose(request)
    record_form, override_form = RecordForm(), OverrideForm()
    if request.method == "POST":
        try:
            if request.POST.get("form") == "record":
                record_form = RecordForm(request.POST)
                if record_form.is_valid():
                    d = record_form.cleaned_data
                    data = {"result": d["result"]} if d["kind"] == "test_result" else {}
                    if d["kind"] in ("arrival", "trip"):
                        data = {"region": d["region"]}
                    services.record_add(
                        actor=request.user,
                        subject=subj,
                        purpose=purpose,
                        kind=d["kind"],
                        occurred_on=d["occurred_on"],
                        until=d["until"],
                        data=data,
                    )
                    messages.success(request, _("Record saved; the code is re-issued."))
                    return redirect("codes:subject", subject_id=subj.pk)
            elif request.POST.get("form") == "override":
                override_form = OverrideForm(request.POST)
                if override_form.is_valid():
                    d = override_form.cleaned_data
                    services.override_set(
                        actor=request.user,
                        subject=subj,
                        purpose=purpose,
                        colour=d["colour"],
                        reason=d["reason"],
                        hours=d["hours"],
                    )
                    messages.success(request, _("Override signed and recorded."))
                    return redirect("codes:subject", subject_id=subj.pk)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
    current = subj.issuances.filter(purpose=purpose, is_current=True).first()
    overrides = ColourOverride.objects.filter(subject=subj, purpose=purpose)[:10]
    return render(
        request,
        "codes/subject.html",
        {
            "subject": subj,
            "purpose": purpose,
            "current": current,
            "reasons": _localise(current.reasons) if current else [],
            "records": subj.records.filter(purpose=purpose)[:50],
            "overrides": [(o, services.override_signature_valid(o)) for o in overrides],
            "record_form": record_form,
            "override_form": override_form,
            "now": timezone.now(),
        },
    )


class DecideForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("uphold", gettext_lazy("Uphold")), ("reject", gettext_lazy("Reject"))]
    )
    note = forms.CharField(label=gettext_lazy("Response"), min_length=2)


APPEAL_DECISIONS = {"uphold": services.appeal_uphold, "reject": services.appeal_reject}


@staff
def appeal_decide(request, appeal_id: int):
    appeal = get_object_or_404(Appeal, pk=appeal_id)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decide = APPEAL_DECISIONS[form.cleaned_data["action"]]
            decide(actor=request.user, appeal=appeal, note=form.cleaned_data["note"])
            messages.success(request, _("Decision recorded."))
        except (ValidationError, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
    return redirect("codes:console")


@staff
def key_rotate(request):
    if request.method == "POST":
        if not can(request.user, "codes.manage_keys"):
            raise PermissionDenied(_("you may not manage keys"))
        new = keys.rotate(actor=request.user)
        services.forget_signers()
        services.forget_trust_store()
        messages.success(request, _("New signing key %s is active.") % new.kid)
    return redirect("codes:console")
