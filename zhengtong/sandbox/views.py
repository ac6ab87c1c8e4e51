"""Pages of the data sandbox: the applicant's projects and application form, a project's Five
Safes and approvals, the workbench (schema, synthetic preview, SQL editor, job list), a job with
its check results and output, and the approvers' and data officer's queue."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import can, can_on
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.access import staff
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.core.forms import DateInput, apply_domain_error
from zhengtong.core.workflow import timeline
from zhengtong.sandbox import actions, selectors, services
from zhengtong.sandbox.models import Job, OutputReview

ERRORS = (ValidationError, Conflict, PermissionDenied)


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    purpose = forms.CharField(
        label=gettext_lazy("Purpose (safe project)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    public_benefit = forms.CharField(
        label=gettext_lazy("Public benefit"), widget=forms.Textarea(attrs={"rows": 2})
    )
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=300, required=False)
    datasets = forms.CharField(
        label=gettext_lazy("Datasets"),
        help_text=gettext_lazy("Catalogue names, separated by commas (one owner department)."),
        max_length=600,
    )
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=DateInput())
    people_trained = forms.BooleanField(
        label=gettext_lazy("I completed the data-protection training (safe people)"), required=False
    )


class SqlForm(forms.Form):
    dataset = forms.IntegerField(widget=forms.HiddenInput)
    sql = forms.CharField(
        label=gettext_lazy("SQL"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "class": "sbx-sql", "spellcheck": "false"}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=OutputReview.Decision.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@staff
def home(request):
    """The applicant's projects, and what waits for this user's decision."""
    user = request.user
    return render(
        request,
        "sandbox/home.html",
        {
            "projects": selectors.my_projects(user=user)[:100],
            "to_decide": selectors.projects_to_decide(user=user)[:100],
            "to_check": selectors.outputs_to_check(user=user)[:100],
            "may_apply": can(user, "sandbox.use"),
        },
    )


@staff
def review(request):
    """Approvals (data owner, data security officer) and output checks waiting for this user."""
    user = request.user
    return render(
        request,
        "sandbox/review.html",
        {
            "to_decide": selectors.projects_to_decide(user=user)[:200],
            "to_check": selectors.outputs_to_check(user=user)[:200],
            "all_projects": selectors.projects_for(user=user).exclude(applicant_id=user.pk)[:200],
        },
    )


@staff
def project_new(request):
    today = timezone.localdate()
    initial = {
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=90),
        "datasets": request.GET.get("dataset", ""),
    }
    form = ProjectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_apply(
                actor=request.user,
                title=data["title"],
                purpose=data["purpose"],
                public_benefit=data["public_benefit"],
                legal_basis=data["legal_basis"],
                datasets=[n for n in data["datasets"].replace("，", ",").split(",") if n.strip()],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                people_trained=data["people_trained"],
            )
        except (*ERRORS, NotFound) as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Project submitted for approval."))
            return redirect("sandbox:project", project_id=project.pk)
    datasets = catalog_selectors.visible_resources(request.user).filter(current_version__isnull=False)[:50]
    return render(request, "sandbox/project_new.html", {"form": form, "datasets": datasets})


@staff
def project_detail(request, project_id: int):
    try:
        project = selectors.project_get(user=request.user, project_id=project_id)
    except NotFound:
        raise Http404 from None
    error = None
    if request.method == "POST":
        try:
            actions.project_action(
                actor=request.user,
                project=project,
                action=request.POST.get("action", ""),
                note=request.POST.get("note", ""),
            )
        except ERRORS as exc:
            error = exc.message
        else:
            messages.success(request, _("Done."))
            return redirect("sandbox:project", project_id=project.pk)
        project.refresh_from_db()
    available = [t for t in project.workflow.available(project, request.user) if t.name != "expire"]
    return render(
        request,
        "sandbox/project.html",
        {
            "project": project,
            "datasets": project.datasets.select_related("resource", "version"),
            "transitions": available,
            "timeline": timeline(project),
            "jobs": selectors.jobs_of(project=project)[:50],
            "is_applicant": project.applicant_id == request.user.pk,
            "error": error,
        },
    )


@staff
def workbench(request, project_id: int):
    """Schema, synthetic preview, the SQL editor (run on synthetic data, or submit as a job) and
    the job list of one dataset of a project."""
    try:
        project = selectors.project_get(user=request.user, project_id=project_id)
    except NotFound:
        raise Http404 from None
    try:
        services.ensure_workspace(request.user, project)
    except (PermissionDenied, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("sandbox:project", project_id=project.pk)
    datasets = list(project.datasets.select_related("resource", "version"))
    chosen = request.POST.get("dataset") or request.GET.get("dataset") or datasets[0].pk
    try:
        dataset_id = int(chosen)
        schema = services.dataset_schema(actor=request.user, project=project, dataset_id=dataset_id)
        columns, rows = services.synthetic_preview(actor=request.user, project=project, dataset_id=dataset_id)
    except (ValueError, ValidationError):
        raise Http404 from None
    form = SqlForm(request.POST or None, initial={"dataset": dataset_id})
    result = None
    if request.method == "POST" and form.is_valid():
        sql = form.cleaned_data["sql"]
        try:
            if request.POST.get("submit") == "job":
                job = services.job_submit(actor=request.user, project=project, dataset_id=dataset_id, sql=sql)
                if job.status == Job.Status.REFUSED:
                    messages.error(request, _("Job refused: %(reason)s") % {"reason": job.reason})
                else:
                    messages.success(request, _("Job v%(n)s submitted.") % {"n": job.number})
                return redirect("sandbox:job", job_id=job.pk)
            result = services.synthetic_query(
                actor=request.user, project=project, dataset_id=dataset_id, sql=sql
            )
        except ERRORS as exc:
            apply_domain_error(form, exc)
    return render(
        request,
        "sandbox/workbench.html",
        {
            "project": project,
            "datasets": datasets,
            "dataset_id": dataset_id,
            "schema": schema,
            "preview_columns": columns,
            "preview_rows": rows,
            "form": form,
            "result": result,
            "jobs": selectors.jobs_of(project=project).filter(dataset_id=dataset_id)[:50],
        },
    )


@staff
def job_detail(request, job_id: int):
    try:
        job = selectors.job_get(user=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.output_review(
                actor=request.user,
                job=job,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ERRORS as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Output check recorded."))
            return redirect("sandbox:job", job_id=job.pk)
    output = job.output if services.may_see_output(request.user, job) else None
    rows = []
    if output:
        for values, flags in zip(output["rows"], output["flags"], strict=True):
            rows.append(list(zip(values, flags, strict=True)))
    return render(
        request,
        "sandbox/job.html",
        {
            "job": job,
            "project": job.project,
            "output": output,
            "rows": rows,
            "reviews": selectors.reviews_of(job=job),
            "may_review": job.status == Job.Status.CHECKED
            and can_on(request.user, "sandbox.check", job.project)
            and job.submitted_by_id != request.user.pk,
            "form": form,
        },
    )


@staff
def output_csv(request, job_id: int):
    try:
        job = selectors.job_get(user=request.user, job_id=job_id)
        body = services.output_download(actor=request.user, job=job)
    except (NotFound, Conflict):
        raise Http404 from None
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sandbox-{job.project_id}-v{job.number}.csv"'
    return response
