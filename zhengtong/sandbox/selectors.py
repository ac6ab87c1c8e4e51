"""Reads of the data sandbox, scoped to what the user may see.

The applicant sees their own projects and jobs; the data owner department (``sandbox.approve``)
and the data security officer (``sandbox.check``) see the projects over data of their scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can, scope_q
from zhengtong.core.errors import NotFound
from zhengtong.sandbox.models import Job, OutputReview, Project


def _visible_q(user: Any) -> Q:
    condition = Q(applicant_id=getattr(user, "pk", None))
    for perm in ("sandbox.approve", "sandbox.check"):
        if can(user, perm):
            condition |= scope_q(user, perm, department_field="department")
    return condition


def projects_for(*, user: Any) -> QuerySet[Project]:
    """Every project ``user`` may see, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Project.objects.none()
    return Project.objects.filter(_visible_q(user)).select_related("applicant", "department", "org_unit")


def my_projects(*, user: Any) -> QuerySet[Project]:
    return projects_for(user=user).filter(applicant_id=user.pk)


def projects_to_decide(*, user: Any) -> QuerySet[Project]:
    """Projects waiting for this user's approval (owner: submitted; security: owner-approved)."""
    condition = Q(pk__in=[])
    if can(user, "sandbox.approve"):
        condition |= Q(state="submitted") & scope_q(user, "sandbox.approve", department_field="department")
    if can(user, "sandbox.check"):
        condition |= Q(state="owner_approved") & scope_q(user, "sandbox.check", department_field="department")
    return (
        Project.objects.filter(condition)
        .exclude(applicant_id=user.pk)
        .select_related("applicant", "department")
    )


def outputs_to_check(*, user: Any) -> QuerySet[Job]:
    """Checked outputs waiting for this data officer's release (not their own)."""
    if not can(user, "sandbox.check"):
        return Job.objects.none()
    return (
        Job.objects.filter(status=Job.Status.CHECKED)
        .filter(
            scope_q(
                user,
                "sandbox.check",
                path_field="project__org_unit__path",
                department_field="project__department",
            )
        )
        .exclude(submitted_by_id=user.pk)
        .select_related("project", "dataset__resource")
        .order_by("id")
    )


def project_get(*, user: Any, project_id: Any) -> Project:
    try:
        pk = int(project_id)
    except (TypeError, ValueError):
        raise NotFound(_("no such sandbox project")) from None
    found = projects_for(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("no such sandbox project"))
    return found


def jobs_of(*, project: Project) -> QuerySet[Job]:
    return project.jobs.select_related("dataset__resource", "submitted_by").order_by("-number")


def job_get(*, user: Any, job_id: Any) -> Job:
    try:
        pk = int(job_id)
    except (TypeError, ValueError):
        raise NotFound(_("no such sandbox job")) from None
    found = (
        Job.objects.filter(pk=pk, project__in=projects_for(user=user))
        .select_related("project", "dataset__resource", "dataset__version", "submitted_by")
        .first()
    )
    if found is None:
        raise NotFound(_("no such sandbox job"))
    return found


def reviews_of(*, job: Job) -> list[OutputReview]:
    return list(job.reviews.select_related("reviewer"))


def project_entitlement(pk: Any) -> dict | None:
    """What the identity centre needs to issue project ``pk`` as a scope of a consumer system's
    token (``sandbox:project:<pk>``): ``applicant_department_id``, ``state`` and ``ends_on``; None
    for no such project. A trusted read (no actor): the centre checks the client's department."""
    if not str(pk).isdecimal() or len(str(pk)) > 18:
        return None
    return Project.objects.filter(pk=int(pk)).values("applicant_department_id", "state", "ends_on").first()
