"""Loads (ingestion): store an upload, then read, validate, classify, desensitize and write it
as a new version, atomically. Loads run in the background worker (``tasks.load_run_task``); a
load that fails at any step leaves the previous version current and records what went wrong
(row, field, rule)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.move import file_move_safe
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts.permissions import ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog import hooks, tasks
from zhengtong.catalog.errors import CatalogError
from zhengtong.catalog.models import DataResource, LoadJob, ResourceVersion
from zhengtong.catalog.services.fields import _classified_schema
from zhengtong.catalog.services.grades import _check_openness, grade_max
from zhengtong.catalog.services.versions import _activate, _desensitize, _make_current
from zhengtong.core.errors import Conflict, ValidationError
from zhengtong.datastore import engine

logger = logging.getLogger(__name__)

audit_actions.register(
    {
        "catalog.load.start": gettext_lazy("Start data load"),
        "catalog.load.succeed": gettext_lazy("Data load succeeded"),
        "catalog.load.fail": gettext_lazy("Data load failed"),
    }
)


FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".geojson": "geojson",
}
# Keys of a Frictionless field the datastore understands; the catalogue adds its own beside them.
FRICTIONLESS_KEYS = ("name", "title", "type", "format", "constraints", "description", "unit", "example")
RELEASE_OPS = {"keep"}


def _safe_name(name: str) -> str:
    base = os.path.basename(name or "upload")
    base = re.sub(r"[^\w.\-]+", "_", base)[-120:]
    return base or "upload"


def _detect_format(file_name: str, fmt: str | None) -> str:
    if fmt:
        if fmt not in set(FORMATS.values()):
            raise ValidationError.for_field(
                "format", _("must be one of %s") % ", ".join(sorted(set(FORMATS.values())))
            )
        return fmt
    ext = Path(file_name).suffix.lower()
    if ext not in FORMATS:
        raise ValidationError.for_field(
            "file", _("unsupported file type “%s” (CSV, XLSX, JSON, NDJSON or GeoJSON)") % (ext or file_name)
        )
    return FORMATS[ext]


def _store_upload(
    resource: DataResource, uploaded_file: Any, file_name: str, *, subdir: str = "", limit: int | None = None
) -> tuple[str, int, str]:
    """Copy the upload under CATALOG_UPLOAD_DIR/<resource>/<subdir> (hashing it on the way), at
    most ``limit`` bytes (CATALOG_UPLOAD_MAX_BYTES by default); path, size, sha256."""
    directory = Path(settings.CATALOG_UPLOAD_DIR) / str(resource.pk)
    if subdir:
        directory = directory / subdir
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{uuid.uuid4().hex}-{_safe_name(file_name)}"
    digest = hashlib.sha256()
    size = 0
    limit = limit or settings.CATALOG_UPLOAD_MAX_BYTES
    partial = target.with_name(target.name + ".part")
    temporary = getattr(uploaded_file, "temporary_file_path", None)
    if temporary is not None:
        # a large upload Django already spooled to disk: hash it and move it, not copy it again
        source_path = temporary()
        with open(source_path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                size += len(chunk)
                digest.update(chunk)
        if size > limit:
            raise ValidationError.for_field(
                "file", _("is larger than the limit of %d bytes") % limit, code=CatalogError.TOO_LARGE
            )
        if size == 0:
            raise ValidationError.for_field("file", _("is empty"))
        file_move_safe(source_path, str(target), allow_overwrite=False)
        return str(target), size, digest.hexdigest()
    try:
        with open(partial, "wb") as out:
            if isinstance(uploaded_file, str | Path):
                source = open(uploaded_file, "rb")  # noqa: SIM115 - closed below
                chunks = iter(lambda: source.read(1 << 20), b"")
            elif hasattr(uploaded_file, "chunks"):
                source = None
                chunks = uploaded_file.chunks()
            else:
                source = None
                chunks = iter(lambda: uploaded_file.read(1 << 20), b"")
            try:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise ValidationError.for_field(
                            "file",
                            _("is larger than the limit of %d bytes") % limit,
                            code=CatalogError.TOO_LARGE,
                        )
                    digest.update(chunk)
                    out.write(chunk)
            finally:
                if source is not None:
                    source.close()
        if size == 0:
            raise ValidationError.for_field("file", _("is empty"))
        os.replace(partial, target)
    finally:
        if partial.exists():
            partial.unlink()
    return str(target), size, digest.hexdigest()


def load_start(
    *,
    actor: Any,
    resource: DataResource,
    uploaded_file: Any,
    mode: str = "replace",
    file_name: str | None = None,
    fmt: str | None = None,
    run_now: bool = False,
    progress: Callable[[int, str], None] | None = None,
) -> LoadJob:
    """Save ``uploaded_file`` (an UploadedFile, a binary file object or a path) and start loading
    it into ``resource`` in ``mode`` ("replace" or "append"); catalog.edit at its department.

    The load runs in the background worker (immediately in tests; ``run_now`` runs it here, with
    ``progress(percent, step)`` callbacks, for the management command and benchmarks). Returns
    the job: poll it for progress, state and errors.
    """
    ensure_can_on(actor, "catalog.edit", resource)
    return _load_enqueue(
        actor=actor,
        resource=resource,
        uploaded_file=uploaded_file,
        mode=mode,
        file_name=file_name,
        fmt=fmt,
        run_now=run_now,
        progress=progress,
    )


def _load_enqueue(
    *,
    actor: Any,
    resource: DataResource,
    uploaded_file: Any,
    mode: str = "replace",
    file_name: str | None = None,
    fmt: str | None = None,
    run_now: bool = False,
    progress: Callable[[int, str], None] | None = None,
    via: str = "",
) -> LoadJob:
    """Validate, store the upload, create the job (audited as ``actor``, None for the system,
    ``via`` a module) and run or enqueue it. The caller has checked permission."""
    resource.refresh_from_db(fields=["state", "current_version"])
    if mode not in LoadJob.Mode.values:
        raise ValidationError.for_field("mode", _("must be replace or append"))
    if resource.state == "retired":
        raise Conflict(_("a retired resource takes no new data"), code=CatalogError.RETIRED)
    if mode == "append" and resource.current_version_id is None:
        raise ValidationError.for_field(
            "mode", _("append needs an existing version; load with replace first")
        )
    if file_name is None:
        file_name = getattr(uploaded_file, "name", None) or str(uploaded_file)
    file_name = os.path.basename(str(file_name))
    source_format = _detect_format(file_name, fmt)
    path, size, sha = _store_upload(resource, uploaded_file, file_name)
    with transaction.atomic():
        job = LoadJob.objects.create(
            resource=resource,
            mode=mode,
            file_name=file_name[:255],
            file_path=path,
            file_size=size,
            file_sha256=sha,
            source_format=source_format,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            action="catalog.load.start",
            target=resource,
            after={"job": job.pk, "file": job.file_name, "size": size, "sha256": sha, "mode": mode},
            via=via,
        )
    if run_now:
        load_run(job.pk, progress=progress)
    else:
        tasks.load_run_task.enqueue(job.pk)
    job.refresh_from_db()
    return job


class LoadFailed(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def _job_progress(job: LoadJob, percent: int, step: str, callback=None) -> None:
    LoadJob.objects.filter(pk=job.pk).update(progress=percent, step=step)
    if callback is not None:
        callback(percent, step)


def _row_errors(errors) -> list[dict]:
    out = []
    for e in errors:
        get = e.get if isinstance(e, dict) else lambda k, e=e: getattr(e, k, "")
        out.append(
            {
                "row": int(get("row") or 0),
                "field": str(get("field") or ""),
                "rule": str(get("rule") or ""),
                "message": str(get("message") or ""),
            }
        )
    return out


def _declared(schema: dict) -> dict:
    """The schema as the datastore validates it (Frictionless keys only)."""
    return {
        **{k: v for k, v in schema.items() if k != "fields"},
        "fields": [{k: v for k, v in f.items() if k in FRICTIONLESS_KEYS} for f in schema.get("fields", [])],
    }


def load_run(job_id: int, *, progress: Callable[[int, str], None] | None = None) -> LoadJob:
    """Run one load job end to end. Never raises for bad data: the job records the errors."""
    job = LoadJob.objects.select_related("resource", "resource__current_version").get(pk=job_id)
    if job.state != LoadJob.State.QUEUED:
        return job  # already run (a retried task must not load twice)
    claimed = LoadJob.objects.filter(pk=job.pk, state=LoadJob.State.QUEUED).update(
        state=LoadJob.State.RUNNING, started_at=timezone.now(), progress=1, step="read"
    )
    if not claimed:
        return job
    started = time.monotonic()
    try:
        version = _load_pipeline(job, progress)
    except LoadFailed as exc:
        _job_fail(job, exc.message, exc.errors)
    except ValidationError as exc:
        details = exc.details or {}
        if "rule" in details:  # a file the reader refused: name the row, column and rule it gave
            errors = [
                {
                    "row": int(details.get("row") or 0),
                    "field": str(details.get("column") or ""),
                    "rule": str(details["rule"]),
                    "message": exc.message,
                }
            ]
        else:
            fields = details.get("fields") or {}
            errors = [
                {"row": 0, "field": k, "rule": exc.code, "message": " ".join(v)} for k, v in fields.items()
            ]
        _job_fail(
            job, exc.message, errors or [{"row": 0, "field": "", "rule": exc.code, "message": exc.message}]
        )
    except Exception as exc:  # noqa: BLE001 - a load must end in a recorded state, whatever broke
        logger.exception("load %s failed", job.pk)
        _job_fail(job, _("internal error while loading: %s") % type(exc).__name__, [])
    else:
        logger.info("load %s: version %s in %.2fs", job.pk, version.number, time.monotonic() - started)
    job.refresh_from_db()
    return job


def _job_fail(job: LoadJob, message: str, errors: list[dict]) -> None:
    with transaction.atomic():
        LoadJob.objects.filter(pk=job.pk).update(
            state=LoadJob.State.FAILED,
            finished_at=timezone.now(),
            message=str(message)[:500],
            errors=errors[:1000],
            error_count=len(errors),
            step="failed",
        )
        audit.record(
            actor=job.created_by,
            action="catalog.load.fail",
            target=job.resource,
            after={"job": job.pk, "errors": len(errors)},
            note=str(message)[:300],
        )


def _load_pipeline(job: LoadJob, progress) -> ResourceVersion:
    resource = job.resource
    previous = resource.current_version
    _job_progress(job, 5, "read", progress)
    table = engine.read_file(job.file_path, fmt=job.source_format)
    if table.num_rows == 0:
        raise LoadFailed(
            _("the file has no data rows"), [{"row": 0, "field": "", "rule": "empty", "message": "no rows"}]
        )
    _job_progress(job, 30, "validate", progress)
    if previous is None:
        schema = engine.infer_schema(table)
    else:
        schema = {**previous.schema}
        declared = {f["name"] for f in schema.get("fields", [])}
        missing = [n for n in declared if n not in table.column_names]
        extra = [n for n in table.column_names if n not in declared]
        problems = [
            {"row": 0, "field": n, "rule": "missing_field", "message": _("column missing from the file")}
            for n in missing
        ] + [
            {"row": 0, "field": n, "rule": "unknown_field", "message": _("column not in the declared schema")}
            for n in extra
        ]
        if problems:
            raise LoadFailed(_("the file's columns do not match the declared schema"), problems)
    table, row_errors = engine.validate(table, _declared(schema))
    if row_errors:
        errors = _row_errors(row_errors)
        raise LoadFailed(_("%d rows break the schema") % len({e["row"] for e in errors}), errors)
    _job_progress(job, 50, "classify", progress)
    schema = _classified_schema(table, schema, previous.schema if previous else None)
    _job_progress(job, 60, "desensitize", progress)
    public = _desensitize(table, schema)
    _job_progress(job, 75, "write", progress)
    table_key = resource.table_key
    base = previous.store_version if previous else None
    store_version = engine.write_version(
        table_key, {"raw": table, "public": public}, mode=job.mode, base_version=base, serve=True
    )
    _job_progress(job, 95, "publish", progress)
    row_count = table.num_rows + (previous.row_count if (previous and job.mode == "append") else 0)
    grade = grade_max(f.get("public_grade", f.get("grade")) for f in schema["fields"])
    with transaction.atomic():
        locked = DataResource.objects.select_for_update().get(pk=resource.pk)
        if locked.current_version_id != (previous.pk if previous else None):
            raise LoadFailed(_("another version was loaded meanwhile; load again"))
        if locked.state == "published":
            try:
                _check_openness(locked.openness, grade)
            except ValidationError as exc:
                raise LoadFailed(exc.message) from None
        last = resource.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = ResourceVersion.objects.create(
            resource=resource,
            number=last + 1,
            schema=schema,
            row_count=row_count,
            table_key=table_key,
            store_version=store_version,
            source_format=job.source_format,
            created_by=job.created_by,
            note=(
                _("appended %(n)d rows from %(file)s")
                if job.mode == "append"
                else _("%(n)d rows from %(file)s")
            )
            % {"n": table.num_rows, "file": job.file_name[:200]},
        )
        _make_current(resource, version, grade)
        LoadJob.objects.filter(pk=job.pk).update(
            state=LoadJob.State.SUCCEEDED,
            finished_at=timezone.now(),
            progress=100,
            step="done",
            row_count=table.num_rows,
            version=version,
            message="",
        )
        audit.record(
            actor=job.created_by,
            action="catalog.load.succeed",
            target=resource,
            after={"job": job.pk, "version": version.number, "rows": table.num_rows, "mode": job.mode},
        )
        transaction.on_commit(lambda: _activate(version))
        transaction.on_commit(lambda: hooks.VERSION_PUBLISHED.fire(resource=resource, version=version))
    if progress is not None:
        progress(100, "done")
    return version


def loads_recover_stale(*, older_than_minutes: int = 60) -> int:
    """Mark loads that have been "running" too long (their worker died) as failed, so the
    publisher sees it and can load again; the previous version stays current."""
    cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
    stale = list(LoadJob.objects.filter(state=LoadJob.State.RUNNING, started_at__lt=cutoff))
    for job in stale:
        _job_fail(job, _("the load was interrupted; load the file again"), [])
    return len(stale)
