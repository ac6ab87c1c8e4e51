"""The workbench and jobs: SQL against the synthetic data, job submission, the run on the raw data
in the datastore's isolated SQL sandbox (from the task worker), disclosure control, the data
officer's output check, and the download of released outputs.

Every refusal (files, ATTACH, extensions, other tables, row export, singling out, a breach of
the memory or time limit) is shown to the applicant with its reason and recorded in the audit
trail, whether it happens at the editor, at submission or in the run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.accounts.permissions import can_on, ensure_can_on
from zhengtong.audit import services as audit
from zhengtong.core import ratelimit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.datastore import engine
from zhengtong.notify.services import notify
from zhengtong.sandbox import disclosure
from zhengtong.sandbox.errors import SandboxError
from zhengtong.sandbox.models import CellRecord, Job, OutputReview, Project, ProjectDataset

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 10
EDITOR_MAX_ROWS = 200


def ensure_workspace(actor: Any, project: Project) -> None:
    """Only the applicant works in the workspace, and only while the project is approved and in
    its period."""
    if getattr(actor, "pk", None) != project.applicant_id:
        raise PermissionDenied(
            _("only the project's applicant works in its workspace"), code=SandboxError.NOT_APPLICANT
        )
    today = timezone.localdate()
    if project.state != "approved" or not project.starts_on <= today <= project.ends_on:
        raise Conflict(_("the project is not approved, or its period is over"), code=SandboxError.NOT_ACTIVE)


def _dataset(project: Project, dataset_id: Any) -> ProjectDataset:
    try:
        pk = int(dataset_id)
    except (TypeError, ValueError):
        raise ValidationError.for_field("dataset", _("must be a dataset of the project")) from None
    found = project.datasets.select_related("resource", "version").filter(pk=pk).first()
    if found is None:
        raise ValidationError.for_field("dataset", _("must be a dataset of the project"))
    return found


def _fields(dataset: ProjectDataset) -> list[dict]:
    return list(dataset.version.schema.get("fields", []))


def _refused(
    actor: Any, project: Project, action: str, rule: str, message: str, sql: str, **extra: Any
) -> None:
    """Record a refused attempt (committed even though the caller then raises or returns)."""
    audit.record(
        actor=actor,
        action=action,
        target=project,
        after={"rule": rule, "reason": message[:500], "sql_sha256": _sha(sql), **extra},
    )


def _sha(text: str) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()


# ----------------------------------------------------------------------------- the workbench


def dataset_schema(*, actor: Any, project: Project, dataset_id: Any) -> list[dict]:
    """The fields of a dataset as the applicant sees them: name, type, title, class and grade."""
    ensure_workspace(actor, project)
    dataset = _dataset(project, dataset_id)
    return [
        {
            "name": f["name"],
            "type": f.get("type", "string"),
            "title": f.get("title", ""),
            "category": (f.get("classification") or {}).get("category", "none"),
            "grade": f.get("grade", "L1"),
            "identifier": f["name"] in disclosure.identifier_columns([f]),
        }
        for f in _fields(dataset)
    ]


def synthetic_preview(*, actor: Any, project: Project, dataset_id: Any) -> tuple[list[str], list[list]]:
    """The first rows of the dataset's synthetic twin."""
    ensure_workspace(actor, project)
    dataset = _dataset(project, dataset_id)
    if not dataset.synthetic_key:
        raise Conflict(_("the workspace has no synthetic data"), code=SandboxError.NOT_ACTIVE)
    fields = _fields(dataset)
    result = engine.query(
        dataset.synthetic_key,
        dataset.synthetic_version,
        "raw",
        limit=PREVIEW_ROWS,
        count="none",
        schema={"fields": fields},
    )
    names = [f["name"] for f in fields]
    return names, [[row.get(n) for n in names] for row in result.rows]


def synthetic_query(*, actor: Any, project: Project, dataset_id: Any, sql: str) -> dict:
    """Run ``sql`` on the synthetic data (any one SELECT the datastore sandbox accepts), and say
    whether the same SQL would pass the job rules. A statement the datastore sandbox refuses
    (files, ATTACH, extensions, settings, other tables) is audited and raised."""
    ensure_workspace(actor, project)
    dataset = _dataset(project, dataset_id)
    try:
        columns, rows = engine.run_sql(
            dataset.synthetic_key, dataset.synthetic_version, "raw", sql, max_rows=EDITOR_MAX_ROWS
        )
    except ValidationError as exc:
        refusal = disclosure.refusal_from(exc)
        _refused(actor, project, "sandbox.query.refuse", refusal.rule, refusal.message, sql, data="synthetic")
        raise
    job_check = ""
    try:
        disclosure.plan(sql, _fields(dataset))
    except disclosure.Refusal as refusal:
        job_check = refusal.message
    return {"columns": columns, "rows": [list(r) for r in rows], "job_check": job_check}


# ----------------------------------------------------------------------------- jobs


def job_submit(*, actor: Any, project: Project, dataset_id: Any, sql: str, run_now: bool = False) -> Job:
    """Submit ``sql`` as the next version of the project's code, to run on the raw data.

    Checked first (``disclosure.plan``): a refused job is saved with status ``refused`` and its
    reason, audited, and never runs. An accepted one is queued for the task worker (or run at
    once with ``run_now``). Submissions are rate-limited per project (``SANDBOX_JOBS_PER_HOUR``)."""
    ensure_workspace(actor, project)
    dataset = _dataset(project, dataset_id)
    if not isinstance(sql, str) or not sql.strip():
        raise ValidationError.for_field("sql", _("is empty"))
    ratelimit.hit("sandbox.jobs", str(project.pk), limit=settings.SANDBOX_JOBS_PER_HOUR, window_seconds=3600)
    refusal = None
    try:
        disclosure.plan(sql, _fields(dataset))
    except disclosure.Refusal as exc:
        refusal = exc
    except ValidationError as exc:
        refusal = disclosure.refusal_from(exc)
    with transaction.atomic():
        number = (Job.objects.filter(project=project).aggregate(m=Max("number"))["m"] or 0) + 1
        job = Job.objects.create(
            project=project,
            dataset=dataset,
            number=number,
            sql=sql,
            sql_sha256=_sha(sql),
            submitted_by=actor,
            status=Job.Status.REFUSED if refusal else Job.Status.QUEUED,
            rule=refusal.rule if refusal else "",
            reason=refusal.message if refusal else "",
            finished_at=timezone.now() if refusal else None,
        )
        audit.record(
            actor=actor,
            action="sandbox.job.refuse" if refusal else "sandbox.job.submit",
            target=job,
            org_unit=project.org_unit,
            after={
                "project": project.pk,
                "version": number,
                "dataset": dataset.resource.name,
                "sql_sha256": job.sql_sha256,
                **({"rule": refusal.rule, "reason": refusal.message[:500]} if refusal else {}),
            },
        )
    if refusal is None:
        if run_now:
            job_run(job.pk)
        else:
            # Lazy: tasks imports this module for job_run.
            from zhengtong.sandbox.tasks import job_run_task

            job_run_task.enqueue(job.pk)
        job.refresh_from_db()
    return job


def _finish(
    job: Job, status: str, *, rule: str = "", reason: str = "", started: float, **fields: Any
) -> None:
    job.status, job.rule, job.reason = status, rule, reason
    job.finished_at = timezone.now()
    job.duration_ms = int((time.perf_counter() - started) * 1000)
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "rule", "reason", "finished_at", "duration_ms", *fields])


def job_run(job_id: int) -> Job | None:
    """Run a queued job on the raw data (the task worker's entry point; actor None, via
    "sandbox"). The query runs in the datastore's SQL sandbox child process (no files, network or
    extensions; read-only; memory and time limits), so a breach stops the child, never the worker.
    The answer goes through disclosure control; what survives waits for the data officer."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .select_related("project", "dataset__version", "dataset__resource")
            .filter(pk=job_id, status=Job.Status.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.status, job.started_at = Job.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    started = time.perf_counter()
    project, version = job.project, job.dataset.version
    fields = list(version.schema.get("fields", []))
    try:
        plan = disclosure.plan(job.sql, fields)
        columns, rows = engine.run_sql(
            version.table_key,
            version.store_version,
            "raw",
            plan.sql,
            timeout_s=settings.SANDBOX_JOB_TIMEOUT_S,
            max_rows=settings.SANDBOX_MAX_CELLS + 1,
            memory_limit=settings.SANDBOX_JOB_MEMORY_LIMIT,
            threads=settings.SANDBOX_JOB_THREADS,
        )
        if len(rows) > settings.SANDBOX_MAX_CELLS:
            raise disclosure.Refusal(
                "exports_rows",
                _("more than %(n)s cells: that is an export of records, not a table")
                % {"n": settings.SANDBOX_MAX_CELLS},
            )
        seen: dict[str, list[int]] = {}
        for key, subjects in CellRecord.objects.filter(project=project).values_list("key", "subjects"):
            seen.setdefault(key, []).append(subjects)
        outcome = disclosure.control(
            plan,
            columns,
            rows,
            dataset_id=job.dataset_id,
            min_cell=project.min_cell,
            round_to=settings.SANDBOX_ROUND_TO,
            top1=settings.SANDBOX_DOMINANCE_TOP1,
            top2=settings.SANDBOX_DOMINANCE_TOP2,
            seen=seen,
        )
    except disclosure.Refusal as refusal:
        with transaction.atomic():
            _finish(job, Job.Status.REFUSED, rule=refusal.rule, reason=refusal.message, started=started)
            _audit_run(job, "sandbox.job.refuse", {"rule": refusal.rule, "reason": refusal.message[:500]})
        return job
    except (NotFound, RuntimeError) as exc:  # the version's file is gone, or the child crashed
        logger.warning("sandbox job %s failed: %s", job.pk, exc)
        with transaction.atomic():
            _finish(
                job, Job.Status.FAILED, rule="failed", reason=_("the job could not be run"), started=started
            )
            _audit_run(job, "sandbox.job.fail", {"rule": "failed", "reason": type(exc).__name__})
        return job
    except ValidationError as exc:
        message = " ".join(exc.fields.get("sql") or [exc.message])
        limit = exc.details.get("limit")  # "time" | "memory" when the sandbox stopped the query
        with transaction.atomic():
            _finish(
                job,
                Job.Status.FAILED,
                rule=f"{limit}_limit" if limit else "failed",
                reason=message,
                started=started,
            )
            _audit_run(job, "sandbox.job.fail", {"rule": job.rule, "reason": message[:500]})
        return job
    payload = {"columns": outcome.columns, "rows": outcome.rows, "flags": outcome.flags}
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    with transaction.atomic():
        CellRecord.objects.bulk_create(
            CellRecord(project=project, job=job, key=key, subjects=n) for key, n in outcome.ledger
        )
        _finish(
            job,
            Job.Status.CHECKED,
            started=started,
            output=json.loads(text),
            output_sha256=_sha(text),
            checks=outcome.checks,
        )
        _audit_run(job, "sandbox.job.check", {"checks": outcome.checks, "output_sha256": job.output_sha256})
    return job


def _audit_run(job: Job, action: str, after: dict) -> None:
    audit.record(
        actor=None,
        action=action,
        target=job,
        org_unit=job.project.org_unit,
        after={"project": job.project_id, "version": job.number, **after},
        via="sandbox",
    )
    notify(
        recipient=job.submitted_by,
        event=action,
        title=_("Sandbox job v%(n)s: %(status)s") % {"n": job.number, "status": job.get_status_display()},
        body=job.reason,
    )


# ----------------------------------------------------------------------------- output check


@transaction.atomic
def output_review(*, actor: Any, job: Job, decision: str, note: str = "") -> Job:
    """The data officer's human output check: release or withhold a checked output. Needs
    ``sandbox.check`` at the project's unit; the submitter may not check their own output."""
    project = job.project
    ensure_can_on(actor, "sandbox.check", project)
    if decision not in OutputReview.Decision.values:
        raise ValidationError.for_field("decision", _("must be release or withhold"))
    if actor.pk == job.submitted_by_id:
        raise PermissionDenied(
            _("the submitter may not check their own output"), code=SandboxError.SAME_PERSON
        )
    note = str(note or "").strip()[:2000]
    if decision == OutputReview.Decision.WITHHOLD and not note:
        raise ValidationError.for_field("note", _("say why the output is withheld"))
    updated = Job.objects.filter(pk=job.pk, status=Job.Status.CHECKED, output__isnull=False).update(
        status=Job.Status.RELEASED if decision == "release" else Job.Status.WITHHELD
    )
    if updated != 1:
        raise Conflict(_("the job has no checked output waiting for review"), code=SandboxError.NOT_CHECKED)
    OutputReview.objects.create(job=job, reviewer=actor, decision=decision, note=note)
    job.refresh_from_db()
    audit.record(
        actor=actor,
        action=f"sandbox.output.{decision}",
        target=job,
        org_unit=project.org_unit,
        after={"project": project.pk, "version": job.number, "output_sha256": job.output_sha256},
        note=note,
    )
    notify(
        recipient=job.submitted_by,
        event=f"sandbox.output.{decision}",
        title=_("Sandbox job v%(n)s: %(status)s") % {"n": job.number, "status": job.get_status_display()},
        body=note,
    )
    return job


def may_see_output(actor: Any, job: Job) -> bool:
    """The applicant sees an output once released; the data officer once checked."""
    if job.output is None:
        return False
    if job.status == Job.Status.RELEASED and getattr(actor, "pk", None) == job.project.applicant_id:
        return True
    return job.status in (Job.Status.CHECKED, Job.Status.RELEASED, Job.Status.WITHHELD) and can_on(
        actor, "sandbox.check", job.project
    )


def output_download(*, actor: Any, job: Job) -> bytes:
    """The released output as CSV (UTF-8 with BOM; text cells neutralized against formula
    injection); only after release, only for the applicant or the data officer. Audited."""
    if job.status != Job.Status.RELEASED or job.output is None:
        if getattr(actor, "pk", None) == job.project.applicant_id or can_on(
            actor, "sandbox.check", job.project
        ):
            raise Conflict(
                _("the output has not been released by the data officer"), code=SandboxError.NOT_RELEASED
            )
        raise NotFound(_("no such output"))
    if not may_see_output(actor, job):
        raise NotFound(_("no such output"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([engine.neutralize(c) for c in job.output["columns"]])
    for row in job.output["rows"]:
        writer.writerow(["" if v is None else engine.neutralize(v) for v in row])
    audit.record(
        actor=actor,
        action="sandbox.output.download",
        target=job,
        org_unit=job.project.org_unit,
        after={"output_sha256": job.output_sha256},
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
