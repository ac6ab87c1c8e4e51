"""Data sandbox API at /api/v1/sandbox: projects and their approvals, the workbench (schema,
synthetic preview, SQL on synthetic data), jobs on the raw data, output checks and downloads.
Every operation needs authentication; nothing here is public."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Router, Schema, Status

from zhengtong.core.pagination import clamp_limit, keyset_page
from zhengtong.core.schemas import ERRORS
from zhengtong.sandbox import actions, selectors, services
from zhengtong.sandbox.models import Job, Project

router = Router(tags=["sandbox"])

PUBLIC_OPERATIONS: set[str] = set()


class SandboxDatasetOut(Schema):
    id: int
    name: str
    title: str
    version: int


class SandboxProjectOut(Schema):
    id: int
    title: str
    purpose: str
    public_benefit: str
    legal_basis: str
    state: str
    applicant: str
    department: str
    starts_on: dt.date
    ends_on: dt.date
    min_cell: int
    datasets: list[SandboxDatasetOut]
    version: int

    @staticmethod
    def resolve_applicant(obj: Project) -> str:
        return obj.applicant.get_username()

    @staticmethod
    def resolve_department(obj: Project) -> str:
        return obj.department.name

    @staticmethod
    def resolve_datasets(obj: Project) -> list[dict]:
        return [
            {"id": d.pk, "name": d.resource.name, "title": d.resource.title, "version": d.version.number}
            for d in obj.datasets.select_related("resource", "version")
        ]


class SandboxProjectPage(Schema):
    items: list[SandboxProjectOut]
    next: str | None = None


class SandboxProjectIn(Schema):
    title: str
    purpose: str
    public_benefit: str
    legal_basis: str = ""
    datasets: list[str]
    starts_on: dt.date
    ends_on: dt.date
    people_trained: bool = False
    min_cell: int | None = None


class SandboxProjectActionIn(Schema):
    action: str
    note: str = ""


class SandboxFieldOut(Schema):
    name: str
    type: str
    title: str
    category: str
    grade: str
    identifier: bool


class SandboxRowsOut(Schema):
    columns: list[str]
    rows: list[list]


class SandboxQueryIn(Schema):
    dataset: int
    sql: str


class SandboxQueryOut(SandboxRowsOut):
    job_check: str


class SandboxJobIn(Schema):
    dataset: int
    sql: str


class SandboxJobOut(Schema):
    id: int
    project: int
    number: int
    dataset: str
    sql: str
    status: str
    rule: str
    reason: str
    submitted_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int | None
    checks: dict
    output: dict | None = None
    output_sha256: str

    @staticmethod
    def resolve_project(obj: Job) -> int:
        return obj.project_id

    @staticmethod
    def resolve_dataset(obj: Job) -> str:
        return obj.dataset.resource.name

    @staticmethod
    def resolve_output(obj: Job) -> dict | None:
        return getattr(obj, "shown_output", None)


class SandboxReviewIn(Schema):
    decision: str
    note: str = ""


def _job_out(request, job: Job) -> Job:
    """The job with ``output`` only for those who may see it (services.may_see_output)."""
    job.shown_output = job.output if services.may_see_output(request.auth, job) else None
    return job


@router.get("/projects", response={200: SandboxProjectPage, **ERRORS}, operation_id="sandbox_projects")
def projects(request, state: str = "", cursor: str | None = None, limit: int | None = None):
    """Projects you applied for or may approve, newest first."""
    qs = selectors.projects_for(user=request.auth)
    if state:
        qs = qs.filter(state=state)
    page = keyset_page(qs, order=["-id"], cursor=cursor, limit=clamp_limit(limit))
    return {"items": page.items, "next": page.next_cursor}


@router.post("/projects", response={201: SandboxProjectOut, **ERRORS}, operation_id="sandbox_project_apply")
def project_apply(request, payload: SandboxProjectIn):
    """Apply for a project (Five Safes: purpose, public benefit, datasets, period, training)."""
    project = services.project_apply(actor=request.auth, **payload.dict())
    return Status(201, selectors.project_get(user=request.auth, project_id=project.pk))


@router.get(
    "/projects/{project_id}", response={200: SandboxProjectOut, **ERRORS}, operation_id="sandbox_project"
)
def project(request, project_id: int):
    """One sandbox project you take part in or decide on."""
    return selectors.project_get(user=request.auth, project_id=project_id)


@router.post(
    "/projects/{project_id}/transitions",
    response={200: SandboxProjectOut, **ERRORS},
    operation_id="sandbox_project_transition",
)
def project_transition(request, project_id: int, payload: SandboxProjectActionIn):
    """approve_owner (data owner), approve (data security officer), reject, close."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    actions.project_action(actor=request.auth, project=obj, action=payload.action, note=payload.note)
    return selectors.project_get(user=request.auth, project_id=project_id)


@router.get(
    "/projects/{project_id}/datasets/{dataset_id}/schema",
    response={200: list[SandboxFieldOut], **ERRORS},
    operation_id="sandbox_dataset_schema",
)
def dataset_schema(request, project_id: int, dataset_id: int):
    """The schema (column names and types, no values) of a dataset in the project."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    return services.dataset_schema(actor=request.auth, project=obj, dataset_id=dataset_id)


@router.get(
    "/projects/{project_id}/datasets/{dataset_id}/synthetic",
    response={200: SandboxRowsOut, **ERRORS},
    operation_id="sandbox_synthetic_preview",
)
def synthetic_preview(request, project_id: int, dataset_id: int):
    """The first rows of the dataset's synthetic twin (never real records)."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    columns, rows = services.synthetic_preview(actor=request.auth, project=obj, dataset_id=dataset_id)
    return {"columns": columns, "rows": rows}


@router.post(
    "/projects/{project_id}/query", response={200: SandboxQueryOut, **ERRORS}, operation_id="sandbox_query"
)
def synthetic_query(request, project_id: int, payload: SandboxQueryIn):
    """Run one SELECT on the synthetic data; ``job_check`` says why it would be refused as a job."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    return services.synthetic_query(
        actor=request.auth, project=obj, dataset_id=payload.dataset, sql=payload.sql
    )


@router.get(
    "/projects/{project_id}/jobs", response={200: list[SandboxJobOut], **ERRORS}, operation_id="sandbox_jobs"
)
def jobs(request, project_id: int):
    """Every version of the project's code with its status and check results."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    return [_job_out(request, job) for job in selectors.jobs_of(project=obj)[:200]]


@router.post(
    "/projects/{project_id}/jobs", response={201: SandboxJobOut, **ERRORS}, operation_id="sandbox_job_submit"
)
def job_submit(request, project_id: int, payload: SandboxJobIn):
    """Submit SQL to run on the raw data. A refused job comes back with status ``refused`` and its
    reason; an accepted one is queued (poll ``GET /jobs/{id}``)."""
    obj = selectors.project_get(user=request.auth, project_id=project_id)
    job = services.job_submit(actor=request.auth, project=obj, dataset_id=payload.dataset, sql=payload.sql)
    return Status(201, _job_out(request, selectors.job_get(user=request.auth, job_id=job.pk)))


@router.get("/jobs/{job_id}", response={200: SandboxJobOut, **ERRORS}, operation_id="sandbox_job")
def job(request, job_id: int):
    """A job; ``output`` only for the data officer once checked, for the applicant once released."""
    return _job_out(request, selectors.job_get(user=request.auth, job_id=job_id))


@router.post(
    "/jobs/{job_id}/review", response={200: SandboxJobOut, **ERRORS}, operation_id="sandbox_output_review"
)
def output_review(request, job_id: int, payload: SandboxReviewIn):
    """The data officer releases or withholds a checked output."""
    obj = selectors.job_get(user=request.auth, job_id=job_id)
    services.output_review(actor=request.auth, job=obj, decision=payload.decision, note=payload.note)
    return _job_out(request, selectors.job_get(user=request.auth, job_id=job_id))


@router.get(
    "/jobs/{job_id}/output.csv", response={200: None, **ERRORS}, operation_id="sandbox_output_download"
)
def output_download(request, job_id: int):
    """A released output as CSV."""
    obj = selectors.job_get(user=request.auth, job_id=job_id)
    body = services.output_download(actor=request.auth, job=obj)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sandbox-{obj.project_id}-v{obj.number}.csv"'
    return response
