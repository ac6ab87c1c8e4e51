"""Projects: applying (Five Safes), the two approvals, rejection, closing and expiry.

Approval builds the workspace (synthetic data per dataset, ``workspace``); closing and expiry
delete it with every intermediate result (``workspace.workspace_delete``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import ensure_can
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import ValidationError
from zhengtong.sandbox.errors import SandboxError
from zhengtong.sandbox.models import Project, ProjectDataset
from zhengtong.sandbox.services.workspace import workspace_build, workspace_delete
from zhengtong.sandbox.workflows import PROJECT_FLOW

_MAX_DATASETS = 5


def _text(value: Any, field: str, *, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError.for_field(field, _("is required"))
    if len(text) > max_length:
        raise ValidationError.for_field(field, _("is longer than %(n)s characters") % {"n": max_length})
    return text


@transaction.atomic
def project_apply(
    *,
    actor: Any,
    title: str,
    purpose: str,
    public_benefit: str,
    datasets: list[str],
    starts_on: dt.date,
    ends_on: dt.date,
    legal_basis: str = "",
    people_trained: bool = False,
    min_cell: int | None = None,
) -> Project:
    """Apply for a sandbox project over catalogue datasets of one owner department.

    Safe people: the applicant holds ``sandbox.use`` and declares data-protection training. Safe
    project: purpose and public benefit are required. Safe data: each dataset is one the applicant
    may see in the catalogue, with a loaded version, pinned now. Safe outputs: the threshold is at
    least ``SANDBOX_MIN_CELL``. The clock of the approvals starts (``SANDBOX_APPROVAL_DAYS``)."""
    ensure_can(actor, "sandbox.use")
    title = _text(title, "title", max_length=200)
    purpose = _text(purpose, "purpose", max_length=4000)
    public_benefit = _text(public_benefit, "public_benefit", max_length=4000)
    legal_basis = _text(legal_basis, "legal_basis", max_length=300, required=False)
    if not people_trained:
        raise ValidationError.for_field(
            "people_trained", _("confirm that you completed the data-protection training")
        )
    if not isinstance(starts_on, dt.date) or not isinstance(ends_on, dt.date):
        raise ValidationError.for_field("ends_on", _("must be a date"))
    if starts_on < timezone.localdate():
        raise ValidationError.for_field("starts_on", _("may not be in the past"))
    if ends_on <= starts_on:
        raise ValidationError.for_field("ends_on", _("must be after the start"))
    if (ends_on - starts_on).days > settings.SANDBOX_MAX_PROJECT_DAYS:
        raise ValidationError.for_field(
            "ends_on", _("a project lasts at most %(n)s days") % {"n": settings.SANDBOX_MAX_PROJECT_DAYS}
        )
    threshold = settings.SANDBOX_MIN_CELL if min_cell is None else min_cell
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < settings.SANDBOX_MIN_CELL:
        raise ValidationError.for_field(
            "min_cell", _("must be a whole number of at least %(n)s") % {"n": settings.SANDBOX_MIN_CELL}
        )
    names = [str(n).strip() for n in (datasets or []) if str(n).strip()]
    if not names:
        raise ValidationError.for_field("datasets", _("choose at least one dataset"))
    if len(names) > _MAX_DATASETS or len(set(names)) != len(names):
        raise ValidationError.for_field(
            "datasets", _("at most %(n)s different datasets") % {"n": _MAX_DATASETS}
        )
    resources = [catalog_selectors.resource_get(user=actor, name_or_id=name) for name in names]
    for resource in resources:
        if resource.current_version_id is None:
            raise ValidationError.for_field("datasets", _("“%s” has no data loaded") % resource.name)
    if len({r.department_id for r in resources}) != 1:
        raise ValidationError.for_field(
            "datasets", _("all datasets must belong to one department"), code=SandboxError.ONE_OWNER
        )
    owner = resources[0]
    project = Project(
        title=title,
        purpose=purpose,
        public_benefit=public_benefit,
        legal_basis=legal_basis,
        people_trained=True,
        applicant=actor,
        applicant_department=getattr(actor, "department", None),
        org_unit=owner.org_unit,
        department=owner.department,
        starts_on=starts_on,
        ends_on=ends_on,
        min_cell=threshold,
        state=PROJECT_FLOW.initial,
    )
    PROJECT_FLOW.start_clock(project)
    project.save()
    for resource in resources:
        ProjectDataset.objects.create(project=project, resource=resource, version=resource.current_version)
    PROJECT_FLOW.start(
        project,
        actor=actor,
        after={
            "state": project.state,
            "datasets": [r.name for r in resources],
            "period": [starts_on.isoformat(), ends_on.isoformat()],
            "min_cell": threshold,
        },
    )
    return project


def project_approve_owner(*, actor: Any, project: Project, note: str = "") -> Project:
    """The data owner department approves (``sandbox.approve`` at the datasets' department; not
    the applicant)."""
    PROJECT_FLOW.apply(
        project, "approve_owner", actor=actor, note=note, changes={"owner_approver_id": actor.pk}
    )
    return project


def project_approve(*, actor: Any, project: Project, note: str = "") -> Project:
    """The data security officer approves (``sandbox.check``; neither the applicant nor the
    owner's approver). The workspace is built at once: synthetic data for every dataset."""
    with transaction.atomic():
        PROJECT_FLOW.apply(
            project, "approve", actor=actor, note=note, changes={"security_approver_id": actor.pk}
        )
        workspace_build(project=project, actor=actor)
    return project


def project_reject(*, actor: Any, project: Project, note: str) -> Project:
    """Reject a pending project (the owner while submitted, the security officer after)."""
    name = "reject" if project.state == "submitted" else "security_reject"
    PROJECT_FLOW.apply(project, name, actor=actor, note=note)
    return project


@transaction.atomic
def project_close(*, actor: Any, project: Project, note: str = "") -> Project:
    """The applicant (or the data officer) ends an approved project; its workspace is deleted."""
    PROJECT_FLOW.apply(project, "close", actor=actor, note=note)
    workspace_delete(project=project, actor=actor)
    return project


def projects_expire(*, today: dt.date | None = None) -> int:
    """Expire approved projects whose period is over and delete their workspaces (the worker's
    periodic task; actor None, via "sandbox")."""
    today = today or timezone.localdate()
    count = 0
    for project in Project.objects.filter(state="approved", ends_on__lt=today):
        with transaction.atomic():
            PROJECT_FLOW.apply(project, "expire", actor=None, via="sandbox")
            workspace_delete(project=project, actor=None)
        count += 1
    return count
