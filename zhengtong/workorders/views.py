"""Pages: citizens submit and follow their own work orders; staff worklist, detail, routing."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import can, ensure_can
from zhengtong.core.access import authenticated, staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, RateLimited, ValidationError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.pagination import keyset_page
from zhengtong.core.workflow import timeline
from zhengtong.workorders import actions, selectors, services
from zhengtong.workorders.models import CITIZEN_KINDS, Kind
from zhengtong.workorders.workflows import WORK_ORDER_FLOW


def _region_choices():
    return [
        (u.code, f"{u.name} ({u.code})")
        for u in account_selectors.org_units_at_levels(["county", "township", "village"], active_only=True)[
            :500
        ]
    ]


def category_choices():
    """The selectable second-level categories grouped under their first level (an <optgroup>
    each); choosing anything else is refused on the ``category`` field."""
    return selectors.category_groups()


class SubmitForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=[(k, lbl) for k, lbl in Kind.choices if k in CITIZEN_KINDS]
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=category_choices)
    region = forms.ChoiceField(label=gettext_lazy("Where"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=4000, widget=forms.Textarea)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact mobile number"), max_length=20, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _region_choices()


def _timeline(order) -> list[tuple]:
    return [(e, WORK_ORDER_FLOW.state_label(e.to_state)) for e in timeline(order)]


@authenticated
def submit(request):
    form = SubmitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.work_order_open(
                actor=request.user,
                requester=request.user,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                description=data["description"],
                region=account_selectors.org_unit_get(data["region"]),
                contact_phone=data["contact_phone"],
            )
        except (ValidationError, RateLimited, PermissionDenied) as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Submitted: work order %s") % order.number)
            return redirect("workorders:mine_detail", number=order.number)
    return render(request, "workorders/submit.html", {"form": form})


@authenticated
def mine(request):
    page = keyset_page(
        selectors.mine(request.user), order=["-created_at", "-id"], cursor=request.GET.get("cursor"), limit=20
    )
    return render(request, "workorders/mine.html", {"page": page})


@authenticated
def mine_detail(request, number: str):
    order = selectors.my_work_order(request.user, number)
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        try:
            services.work_order_withdraw(
                actor=request.user,
                work_order=order,
                expected_version=int(request.POST.get("version") or -1),
            )
        except (Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("workorders:mine_detail", number=number)
    return render(
        request,
        "workorders/mine_detail.html",
        {
            "order": order,
            "timeline": _timeline(order),
            "may_withdraw": order.state in ("submitted", "assigned"),
        },
    )


class WorklistFilter(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("all"))] + list(WORK_ORDER_FLOW.states.items()),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("all"))] + list(Kind.choices)
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=lambda: (
            [("", gettext_lazy("all"))]
            + [(code, label) for code, label in selectors.category_labels().items()]
        ),
    )
    sla_state = forms.ChoiceField(
        label=gettext_lazy("Time limit"),
        required=False,
        choices=[
            ("", gettext_lazy("all")),
            ("on_time", gettext_lazy("on time")),
            ("due_soon", gettext_lazy("due soon")),
            ("overdue", gettext_lazy("overdue")),
        ],
    )
    q = forms.CharField(label=gettext_lazy("Number or title"), required=False, max_length=100)


@staff
def worklist(request):
    ensure_can(request.user, "workorders.view")
    form = WorklistFilter(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if k != "q"} if form.is_valid() else {}
    q = form.cleaned_data.get("q", "") if form.is_valid() else ""
    page = keyset_page(
        selectors.worklist(request.user, filters=filters, q=q),
        order=["-created_at", "-id"],
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    counts = selectors.worklist_counts(request.user)
    states = [(s, label, counts.get(s, 0)) for s, label in WORK_ORDER_FLOW.states.items()]
    return render(
        request,
        "workorders/worklist.html",
        {
            "form": form,
            "page": page,
            "states": states,
            "overdue": counts.get("overdue", 0),
            "may_route": can(request.user, "workorders.manage_routing"),
        },
    )


@staff
def detail(request, number: str):
    order = selectors.work_order_for_staff(request.user, number)
    if request.method == "POST":
        action = request.POST.get("action", "")
        version = request.POST.get("version", "")
        try:
            if not version.isdigit():
                raise ValidationError.for_field("version", _("reload the page and try again"))
            department = None
            if request.POST.get("department"):
                department = account_selectors.department_by_id(request.POST["department"])
                if department is None:
                    raise ValidationError.for_field("department", _("unknown department"))
            master = None
            if request.POST.get("master"):
                master = services.work_order_get_by_number(request.POST["master"].strip())
            sat = request.POST.get("satisfaction", "")
            actions.work_order_action(
                actor=request.user,
                work_order=order,
                action=action,
                note=request.POST.get("note", ""),
                expected_version=int(version),
                department=department,
                reply=request.POST.get("reply", ""),
                satisfaction=int(sat) if sat.isdigit() else None,
                master=master,
            )
        except (ValidationError, Conflict, PermissionDenied, NotFound) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Done."))
        return redirect("workorders:detail", number=number)
    # The call page answers on the call (answer_directly); the detail page offers the rest.
    available = [t for t in WORK_ORDER_FLOW.available(order, request.user) if t.name in actions.ACTIONS]
    departments = account_selectors.departments_active()[:300]
    return render(
        request,
        "workorders/detail.html",
        {
            "order": order,
            "timeline": _timeline(order),
            "available": available,
            "departments": departments,
            "duplicates": order.duplicates.all(),
        },
    )


class RuleForm(forms.Form):
    # A rule may name a first level (all its second-level categories) or one second level.
    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        choices=lambda: [(code, f"{code} {label}") for code, label in selectors.category_labels().items()],
    )
    region = forms.ChoiceField(label=gettext_lazy("Region"))
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=account_selectors.departments_active()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [
            (u.code, f"{u.name} ({u.code})")
            for u in account_selectors.org_units_at_levels(["province", "city", "county", "township"])[:500]
        ]


@staff
def routing(request):
    ensure_can(request.user, "workorders.view")
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete", "").isdigit():
            rule = selectors.routing_rules().filter(pk=int(request.POST["delete"])).first()
            if rule is not None:
                try:
                    services.routing_rule_delete(actor=request.user, rule=rule)
                except PermissionDenied as exc:
                    messages.error(request, exc.message)
            return redirect("workorders:routing")
        if form.is_valid():
            try:
                services.routing_rule_set(
                    actor=request.user,
                    category=form.cleaned_data["category"],
                    region=account_selectors.org_unit_get(form.cleaned_data["region"]),
                    department=form.cleaned_data["department"],
                )
            except (ValidationError, PermissionDenied) as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Routing rule saved."))
                return redirect("workorders:routing")
    labels = selectors.category_labels()
    rules = list(selectors.routing_rules())
    for rule in rules:
        rule.category_label = labels.get(rule.category, "")
    return render(
        request,
        "workorders/routing.html",
        {
            "form": form,
            "rules": rules,
            "may_route": can(request.user, "workorders.manage_routing"),
        },
    )


@staff
def categories(request):
    """The 12345 category list (GB/T 39666 two levels) with each category's state; whoever
    manages routing at the province opens and closes categories for new work orders here."""
    ensure_can(request.user, "workorders.view")
    if request.method == "POST":
        try:
            category = services.category_set_active(
                actor=request.user,
                code=request.POST.get("code", ""),
                active=request.POST.get("active") == "1",
            )
        except (NotFound, PermissionDenied) as exc:
            messages.error(request, exc.message)
        else:
            if category.active:
                done = _("Category %(code)s is open for new work orders.")
            else:
                done = _("Category %(code)s is closed for new work orders.")
            messages.success(request, done % {"code": category.code})
        return redirect("workorders:categories")
    return render(
        request,
        "workorders/categories.html",
        {"groups": selectors.category_list(), "may_manage": services.may_manage_categories(request.user)},
    )
