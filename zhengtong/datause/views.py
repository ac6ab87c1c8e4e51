"""Pages of the datause module: data requests, reuses and campaigns, figures per department, the
dataset feedback actions, and the departments' console pages."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import ensure_can
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core import ratelimit
from zhengtong.core.access import authenticated, public, staff
from zhengtong.core.errors import NotFound, ZhengtongError
from zhengtong.core.forms import apply_domain_error
from zhengtong.core.middleware import client_ip
from zhengtong.core.pagination import keyset_page
from zhengtong.datause import selectors, services
from zhengtong.datause.forms import AnswerForm, FulfilForm, RequestForm, ReuseForm
from zhengtong.datause.models import Follow


def anon_limit(request) -> None:
    """Anonymous reads are limited per client address (DATAUSE_ANON_RATE_PER_MINUTE)."""
    if not request.user.is_authenticated:
        ratelimit.hit("datause.anon", client_ip(request) or "-", limit=settings.DATAUSE_ANON_RATE_PER_MINUTE)


def _version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def _page(request, qs, order):
    try:
        return keyset_page(qs, order=order, cursor=request.GET.get("cursor"), limit=20)
    except ZhengtongError:
        raise Http404 from None


# --- data requests --------------------------------------------------------------------------


@public
def requests(request):
    anon_limit(request)
    state = request.GET.get("state", "")
    qs = selectors.public_requests()
    if state in ("submitted", "answered", "fulfilled"):
        qs = qs.filter(state=state)
    return render(
        request,
        "datause/requests.html",
        {"page": _page(request, qs, ["-created_at", "-id"]), "state": state},
    )


@authenticated
def request_new(request):
    departments = (
        account_selectors.departments_active()
        .select_related("org_unit")
        .order_by("org_unit__path", "name")[:500]
    )
    form = RequestForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_submit(actor=request.user, **form.cleaned_data)
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request, _("Your request was sent; the department answers by %s.") % created.sla_deadline
            )
            return redirect("datause:request_detail", pk=created.pk)
    return render(request, "datause/request_new.html", {"form": form})


@public
def request_detail(request, pk: int):
    anon_limit(request)
    try:
        item = selectors.request_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    if request.method == "POST" and request.user.is_authenticated:
        action = request.POST.get("action")
        try:
            if action == "support":
                services.request_support(actor=request.user, request=item)
            elif action in ("follow", "unfollow"):
                services.follow_set(
                    actor=request.user, target="request", target_id=item.pk, on=action == "follow"
                )
            elif action == "withdraw":
                services.request_withdraw(
                    actor=request.user, request=item, expected_version=_version(request)
                )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        return redirect("datause:request_detail", pk=pk)
    return render(
        request,
        "datause/request_detail.html",
        {
            "item": item,
            "mine": request.user.is_authenticated and item.requester_id == request.user.pk,
            "supported": selectors.supported(user=request.user, request=item),
            "following": selectors.follows(user=request.user, target="request", target_id=item.pk),
            "may_answer": selectors.may_answer(request.user, item),
        },
    )


@public
def figures(request):
    """Per department: data requests and their answers, dataset quality, overdue datasets, reuses."""
    anon_limit(request)
    return render(
        request,
        "datause/figures.html",
        {
            "requests": selectors.request_counts_by_department(),
            "quality": selectors.quality_by_department(),
        },
    )


@staff
def requests_manage(request):
    ensure_can(request.user, "datause.answer")
    qs = selectors.requests_to_answer(user=request.user)
    if request.GET.get("state") in ("submitted", "answered", "fulfilled", "withdrawn"):
        qs = qs.filter(state=request.GET["state"])
    return render(
        request, "datause/console/requests.html", {"page": _page(request, qs, ["-created_at", "-id"])}
    )


@staff
def request_manage(request, pk: int):
    item = selectors.requests_to_answer(user=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    answer_form = AnswerForm(request.POST if request.POST.get("action") == "answer" else None)
    fulfil_form = FulfilForm(request.POST if request.POST.get("action") == "fulfil" else None)
    if request.method == "POST":
        form = answer_form if request.POST.get("action") == "answer" else fulfil_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is answer_form:
                    services.request_answer(
                        actor=request.user,
                        request=item,
                        outcome=data["outcome"],
                        answer=data["answer"],
                        planned_on=data["planned_on"],
                        resource=data["resource"] or None,
                        expected_version=_version(request),
                    )
                else:
                    services.request_fulfil(
                        actor=request.user,
                        request=item,
                        resource=data["resource"],
                        expected_version=_version(request),
                    )
            except ZhengtongError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Saved: %s.") % item.state_label)
                return redirect("datause:request_manage", pk=pk)
    return render(
        request,
        "datause/console/request.html",
        {"item": item, "answer_form": answer_form, "fulfil_form": fulfil_form},
    )


# --- dataset feedback -------------------------------------------------------------------------


@authenticated
def dataset_action(request, name: str):
    """The feedback forms of a dataset's page post here: report an error, post or moderate a
    message, rate, follow."""
    try:
        resource = catalog_selectors.resource_get(user=request.user, name_or_id=name)
    except NotFound:
        raise Http404 from None
    if request.method != "POST":
        return redirect("catalog:dataset", name=resource.name)
    action = request.POST.get("action", "")
    post = request.POST
    try:
        if action == "report":
            services.error_report_file(
                actor=request.user,
                resource=resource,
                description=post.get("description", ""),
                location=post.get("location", ""),
            )
            messages.success(request, _("Thank you: the publisher answers within the time limit."))
        elif action == "comment":
            services.comment_post(actor=request.user, resource=resource, body=post.get("body", ""))
        elif action == "rate":
            stars = post.get("stars", "")
            services.rating_set(
                actor=request.user,
                resource=resource,
                stars=int(stars) if stars.isdigit() else stars,
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Thank you for your rating."))
        elif action in ("follow", "unfollow"):
            services.follow_set(
                actor=request.user, target=Follow.Target.DATASET, target_id=resource.pk, on=action == "follow"
            )
        elif action in ("hide", "show"):
            comment = selectors.comment_get(post.get("comment", ""))
            if comment.resource_id != resource.pk:
                raise Http404
            services.comment_moderate(
                actor=request.user, comment=comment, hide=action == "hide", reason=post.get("reason", "")
            )
        elif action in ("follow_department", "unfollow_department"):
            services.follow_set(
                actor=request.user,
                target=Follow.Target.DEPARTMENT,
                target_id=resource.department_id,
                on=action == "follow_department",
            )
        else:
            raise Http404
    except ZhengtongError as exc:
        messages.error(request, exc.message)
    return redirect(f"/opendata/{resource.name}/#feedback")


@staff
def feedback_manage(request):
    ensure_can(request.user, "datause.answer")
    if request.method == "POST":
        report = (
            selectors.error_reports_to_answer(user=request.user)
            .filter(pk=request.POST.get("report") or 0)
            .first()
        )
        if report is None:
            raise Http404
        step = (
            services.error_report_resolve
            if request.POST.get("action") == "resolve"
            else services.error_report_reject
        )
        try:
            step(
                actor=request.user,
                report=report,
                reply=request.POST.get("reply", ""),
                expected_version=_version(request),
            )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved: %s.") % report.state_label)
        return redirect("datause:feedback_manage")
    qs = selectors.error_reports_to_answer(user=request.user)
    return render(
        request,
        "datause/console/feedback.html",
        {
            "open": list(qs.filter(state="open").order_by("sla_deadline", "id")[:100]),
            "closed": list(qs.exclude(state="open").order_by("-closed_at")[:20]),
        },
    )


# --- reuses and campaigns ---------------------------------------------------------------------


@public
def reuses(request):
    anon_limit(request)
    qs = selectors.published_reuses()
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "datause/reuses.html",
        {
            "page": _page(request, qs, ["-published_at", "-id"]),
            "kind": kind,
            "campaigns": selectors.campaigns()[:5],
        },
    )


@authenticated
def reuse_new(request):
    campaigns = selectors.campaigns_open()
    initial = {"datasets": request.GET.get("dataset", "")[:100]}
    form = ReuseForm(request.POST or None, campaigns=campaigns, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        names = [n for n in re.split(r"[\s,，、]+", data["datasets"]) if n]
        try:
            campaign = selectors.campaign_get(data["campaign"]) if data["campaign"] else None
            created = services.reuse_submit(
                actor=request.user,
                title=data["title"],
                kind=data["kind"],
                url=data["url"],
                description=data["description"],
                datasets=names,
                campaign=campaign,
                theme=data["theme"],
            )
        except ZhengtongError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Thank you: your reuse is shown once reviewed."))
            return redirect("datause:reuse_detail", pk=created.pk)
    return render(request, "datause/reuse_new.html", {"form": form})


@public
def reuse_detail(request, pk: int):
    anon_limit(request)
    try:
        item = selectors.reuse_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return render(request, "datause/reuse_detail.html", {"item": item})


@staff
def reuses_review(request):
    ensure_can(request.user, "datause.review")
    if request.method == "POST":
        item = selectors.reuses_to_review(user=request.user).filter(pk=request.POST.get("reuse") or 0).first()
        if item is None:
            raise Http404
        try:
            if request.POST.get("action") == "publish":
                services.reuse_publish(actor=request.user, reuse=item, expected_version=_version(request))
            else:
                services.reuse_reject(
                    actor=request.user,
                    reuse=item,
                    note=request.POST.get("note", ""),
                    expected_version=_version(request),
                )
        except ZhengtongError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Saved: %s.") % item.state_label)
        return redirect("datause:reuses_review")
    return render(
        request,
        "datause/console/reuses.html",
        {"items": list(selectors.reuses_to_review(user=request.user)[:100])},
    )


@public
def campaign_detail(request, pk: int):
    anon_limit(request)
    try:
        campaign = selectors.campaign_get(pk)
    except NotFound:
        raise Http404 from None
    entries = list(
        selectors.published_reuses().filter(campaign=campaign).order_by("-award", "-published_at")[:100]
    )
    return render(request, "datause/campaign.html", {"campaign": campaign, "entries": entries})


@authenticated
def followed(request):
    return render(
        request,
        "datause/follows.html",
        {
            "follows": selectors.followed(user=request.user),
            "mine": list(selectors.requests_of(user=request.user)[:50]),
        },
    )
