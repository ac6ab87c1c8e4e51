"""Staff pages that create and manage consultations on drafts (意见征集) and the lists of powers
(权责清单). Every change goes through the services, which check the permission
(``opengov.publish``) in the department's scope; a page only offers the departments where the
signed-in person holds it, and an object outside that scope is not found."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import staff
from zhengtong.core.errors import NotFound
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.opengov import selectors, services
from zhengtong.opengov.models import PowerType
from zhengtong.opengov.views._common import DOMAIN_ERRORS

_ARTICLE_HEAD = re.compile(r"^(第[一二三四五六七八九十百千零〇两\d]+条)[\s　]*(.*)$", re.S)
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


def _department_choices(departments) -> list[tuple[int, str]]:
    return [(d.pk, f"{d.org_unit.name} · {d.name}") for d in departments]


def parse_articles(text: str) -> list[tuple[str, str]]:
    """Articles from a text: one per paragraph (blank lines between them); a paragraph starting
    with its heading (第三条 …) keeps it, others are numbered 第N条."""
    out = []
    for block in re.split(r"\n[ \t　]*\n", text.replace("\r\n", "\n")):
        block = block.strip()
        if not block:
            continue
        match = _ARTICLE_HEAD.match(block)
        heading, body = (match.group(1), match.group(2).strip()) if match else (f"第{len(out) + 1}条", block)
        out.append((heading, body))
    return out


def _split_list(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text or "") if part]


class ConsultationForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    introduction = forms.CharField(
        label=gettext_lazy("Introduction"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opens_on = forms.DateField(label=gettext_lazy("Opens on"), widget=DateInput())
    closes_on = forms.DateField(label=gettext_lazy("Closes on"), widget=DateInput())
    rules = forms.CharField(
        label=gettext_lazy("Moderation rules"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    articles = forms.CharField(
        label=gettext_lazy("Articles of the draft"),
        help_text=gettext_lazy(
            "One article per paragraph, a blank line between them; “第三条 …” keeps its heading."
        ),
        widget=forms.Textarea(attrs={"rows": 12}),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(departments)

    def clean_articles(self):
        articles = parse_articles(self.cleaned_data["articles"])
        if not articles:
            raise forms.ValidationError(_("a draft needs at least one article"))
        if len(articles) > 300:
            raise forms.ValidationError(_("at most %d articles") % 300)
        for heading, body in articles:
            if not body:
                raise forms.ValidationError(_("%s has no text") % heading)
            if len(body) > 10_000:
                raise forms.ValidationError(_("%s is longer than 10,000 characters") % heading)
        return articles

    def clean(self):
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", _("must be a date on or after the opening date"))
        return data


@staff
def staff_consultations(request):
    can_create = bool(account_selectors.departments_for(request.user, "opengov.publish", limit=1))
    return render(
        request,
        "opengov/staff_consultations.html",
        {"items": selectors.consultations_for_staff(request.user)[:200], "can_create": can_create},
    )


def _consultation_form_page(request, consultation=None):
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    if consultation is not None:
        departments = [consultation.department]
        initial = {
            "department": consultation.department_id,
            "title": consultation.title,
            "introduction": consultation.introduction,
            "opens_on": consultation.opens_on,
            "closes_on": consultation.closes_on,
            "rules": consultation.rules,
            "articles": "\n\n".join(f"{a.heading} {a.text}" for a in consultation.articles.all()),
        }
    elif not departments:
        raise Http404
    else:
        initial = {}
    form = ConsultationForm(request.POST or None, initial=initial, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {k: data[k] for k in ("title", "introduction", "opens_on", "closes_on", "rules", "articles")}
        try:
            if consultation is None:
                department = next(d for d in departments if d.pk == data["department"])
                consultation = services.consultation_create(
                    actor=request.user, department=department, **fields
                )
                messages.success(request, _("The consultation is set up."))
            else:
                services.consultation_update(actor=request.user, consultation=consultation, **fields)
                messages.success(request, _("Saved."))
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("opengov:staff_consultation", pk=consultation.pk)
    return render(request, "opengov/staff_consultation_form.html", {"form": form, "c": consultation})


@staff
def staff_consultation_new(request):
    return _consultation_form_page(request)


@staff
def staff_consultation_edit(request, pk):
    try:
        consultation = selectors.consultation_for_staff(request.user, pk)
    except NotFound:
        raise Http404 from None
    return _consultation_form_page(request, consultation)


class PowerForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=pgettext_lazy("power", "Name"), max_length=200)
    power_type = forms.ChoiceField(label=gettext_lazy("Type"), choices=PowerType.choices)
    legal_basis = forms.CharField(
        label=gettext_lazy("Legal basis"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible_unit = forms.CharField(label=gettext_lazy("Responsible unit"), max_length=200)
    procedure = forms.CharField(
        label=gettext_lazy("Procedure"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    accountability = forms.CharField(
        label=gettext_lazy("Responsibilities and accountability"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    life_events = forms.CharField(
        label=gettext_lazy("Life events"),
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. 开办企业、就业"),
    )
    service_items = forms.CharField(
        label=gettext_lazy("Service item codes"),
        required=False,
        help_text=gettext_lazy("Separated by commas"),
    )
    documents = forms.CharField(
        label=gettext_lazy("Disclosure documents (ids)"),
        required=False,
        help_text=gettext_lazy("Separated by commas"),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(departments)

    def _codes(self, field: str) -> list[str]:
        values = _split_list(self.cleaned_data[field])
        if len(values) > 50:
            raise forms.ValidationError(_("at most %d entries") % 50)
        for value in values:
            if len(value) > 40:
                raise forms.ValidationError(_("“%s” is longer than 40 characters") % value[:40])
        return values

    def clean_life_events(self):
        return self._codes("life_events")

    def clean_service_items(self):
        return self._codes("service_items")

    def clean_documents(self):
        values = self._codes("documents")
        if not all(v.isdigit() and len(v) <= 12 for v in values):
            raise forms.ValidationError(_("must be document ids (numbers)"))
        return [int(v) for v in values]


def _power_form_page(request, power=None):
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    if power is not None:
        departments = [power.department]
        initial = {
            "department": power.department_id,
            "code": power.code,
            "name": power.name,
            "power_type": power.power_type,
            "legal_basis": power.legal_basis,
            "responsible_unit": power.responsible_unit,
            "procedure": power.procedure,
            "accountability": power.accountability,
            "life_events": "、".join(power.life_events),
            "service_items": ", ".join(power.service_items),
            "documents": ", ".join(str(d.pk) for d in power.documents.all()),
        }
    elif not departments:
        raise Http404
    else:
        initial = {}
    if request.method == "POST" and power is not None and request.POST.get("action") == "remove":
        try:
            services.power_remove(actor=request.user, power=power)
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
            return redirect("opengov:staff_power", pk=power.pk)
        messages.success(request, _("Removed from the list: %s") % power.code)
        return redirect("opengov:staff_powers")
    form = PowerForm(request.POST or None, initial=initial, departments=departments)
    if (
        request.method == "POST"
        and form.is_valid()
        and power is not None
        and form.cleaned_data["code"].strip() != power.code
    ):
        form.add_error("code", _("the code of a listed power does not change; remove it and add a new one"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(d for d in departments if d.pk == data["department"])
        try:
            documents = [selectors.document_get(pk) for pk in data["documents"]]
            saved = services.power_set(
                actor=request.user,
                department=department,
                code=data["code"],
                name=data["name"],
                power_type=data["power_type"],
                legal_basis=data["legal_basis"],
                responsible_unit=data["responsible_unit"],
                procedure=data["procedure"],
                accountability=data["accountability"],
                life_events=data["life_events"],
                service_items=data["service_items"],
                documents=documents,
            )
        except NotFound:
            form.add_error("documents", _("no such document"))
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved: %s") % saved.code)
            return redirect("opengov:staff_powers")
    return render(request, "opengov/staff_power_form.html", {"form": form, "power": power})


@staff
def staff_powers(request):
    can_create = bool(account_selectors.departments_for(request.user, "opengov.publish", limit=1))
    return render(
        request,
        "opengov/staff_powers.html",
        {"items": selectors.powers_for_staff(request.user)[:500], "can_create": can_create},
    )


@staff
def staff_power_new(request):
    return _power_form_page(request)


@staff
def staff_power(request, pk):
    try:
        power = selectors.power_for_staff(request.user, pk)
    except NotFound:
        raise Http404 from None
    return _power_form_page(request, power)


class GuideForm(forms.Form):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    office = forms.CharField(label=gettext_lazy("Disclosure office"), max_length=200)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    hours = forms.CharField(label=gettext_lazy("Office hours"), max_length=100, required=False)
    phone = forms.CharField(label=gettext_lazy("Telephone"), max_length=30, required=False)
    body = forms.CharField(
        label=gettext_lazy("Guide"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 12})
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices(departments)


@staff
def staff_guide(request):
    """Write a department's disclosure guide (政府信息公开指南, 条例 §12)."""
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    if not departments:
        raise Http404
    chosen = request.GET.get("department", "")
    department = next((d for d in departments if str(d.pk) == chosen), departments[0])
    guide = selectors.guide_for(department.pk)
    initial = {"department": department.pk}
    if guide is not None:
        initial.update({k: getattr(guide, k) for k in ("office", "address", "hours", "phone", "body")})
    form = GuideForm(request.POST or None, initial=initial, departments=departments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(d for d in departments if d.pk == data["department"])
        try:
            services.guide_set(
                actor=request.user,
                department=department,
                **{k: data[k] for k in ("body", "office", "address", "hours", "phone")},
            )
        except DOMAIN_ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The guide is published."))
            return redirect("opengov:department", pk=department.pk)
    return render(
        request,
        "opengov/staff_guide.html",
        {"form": form, "departments": departments, "department": department},
    )


@staff
def staff_document_validity(request, pk):
    """Mark a document amended, repealed or expired (it stays published and findable)."""
    try:
        doc = selectors.document_get(pk)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.document_set_validity(
                actor=request.user, document=doc, validity=request.POST.get("validity", "")
            )
        except DOMAIN_ERRORS as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Validity changed: %s") % doc.get_validity_display())
    return redirect("opengov:document", pk=doc.pk)
