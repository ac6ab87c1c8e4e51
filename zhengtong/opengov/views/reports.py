"""Pages of annual disclosure reports: public and staff."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhengtong.accounts import selectors as account_selectors
from zhengtong.core.access import public, staff
from zhengtong.core.errors import NotFound, ValidationError
from zhengtong.opengov import selectors, services
from zhengtong.opengov.views._common import DOMAIN_ERRORS


@public
def reports(request):
    return render(request, "opengov/reports.html", {"items": selectors.reports_published()[:200]})


@public
def report(request, pk):
    try:
        item = selectors.report_public(pk)
    except NotFound:
        raise Http404 from None
    return render(request, "opengov/report.html", {"report": item})


@staff
def staff_reports(request):
    error = None
    departments = account_selectors.departments_for(request.user, "opengov.publish")
    if request.method == "POST":
        try:
            dept = next((d for d in departments if str(d.pk) == request.POST.get("department")), None)
            if dept is None:
                raise ValidationError.for_field("department", _("is not a department you publish for"))
            year = request.POST.get("year", "")
            if not year.isdigit():
                raise ValidationError.for_field("year", _("must be a year"))
            item = services.report_generate(actor=request.user, department=dept, year=int(year))
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_report", pk=item.pk)
    return render(request, "opengov/staff_reports.html", {"departments": departments, "error": error})


@staff
def staff_report(request, pk):
    try:
        item = selectors.report_for_staff(request.user, pk)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "regenerate":
                services.report_generate(actor=request.user, department=item.department, year=item.year)
            elif action == "edit":
                services.report_edit(
                    actor=request.user,
                    report=item,
                    overview=request.POST.get("overview", ""),
                    problems=request.POST.get("problems", ""),
                )
            elif action == "publish":
                services.report_publish(actor=request.user, report=item)
            else:
                raise ValidationError.for_field("action", _("unknown action"))
        except DOMAIN_ERRORS as exc:
            error = exc.message
        else:
            return redirect("opengov:staff_report", pk=item.pk)
    return render(request, "opengov/staff_report.html", {"report": item, "error": error})
