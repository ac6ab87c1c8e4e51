"""Writes of the catalogue: resources and their lifecycle, field grades, loads (ingestion),
usage counting, data applications and data users' API keys.

Every write checks permission, validates, writes and records its audit event in one transaction.
Loads run in the background worker (``tasks.load_run_task``); a load that fails at any step
leaves the previous version current and records what went wrong (row, field, rule).
"""

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
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengtong.accounts import credentials
from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.models import SECRET_PREFIX, Credential, CredentialKind, Department
from zhengtong.accounts.permissions import ensure_authenticated, ensure_can, ensure_can_on
from zhengtong.audit import actions as audit_actions
from zhengtong.audit import services as audit
from zhengtong.catalog.models import (
    DataApplication,
    DataResource,
    Domain,
    Licence,
    LoadJob,
    Openness,
    ResourceVersion,
    UpdateFrequency,
    UsageDaily,
)
from zhengtong.core import ratelimit
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from zhengtong.privacy.grades import GRADES, grade_max, max_openness, openness_within, public_grade

logger = logging.getLogger(__name__)

audit_actions.register(
    {
        "catalog.resource.update": gettext_lazy("Change data resource metadata"),
        "catalog.resource.fields": gettext_lazy("Confirm or override field grades"),
        "catalog.load.start": gettext_lazy("Start data load"),
        "catalog.load.succeed": gettext_lazy("Data load succeeded"),
        "catalog.load.fail": gettext_lazy("Data load failed"),
        "catalog.key.create": gettext_lazy("Create data API key"),
        "catalog.key.revoke": gettext_lazy("Revoke data API key"),
    }
)

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
METADATA_FIELDS = (
    "title",
    "title_en",
    "description",
    "domain",
    "keywords",
    "update_frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "licence",
    "openness",
    "contact_name",
    "contact_email",
)
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
# Keys of a Frictionless field the datastore understands; the catalogue adds its own beside them.
FRICTIONLESS_KEYS = ("name", "title", "type", "format", "constraints", "description", "unit", "example")
RELEASE_OPS = {"keep"}


# --------------------------------------------------------------------------- grades


def _check_openness(openness: str, grade: str) -> None:
    if not openness_within(openness, grade):
        allowed = max_openness(grade)
        raise ValidationError.for_field(
            "openness",
            _("a resource graded %(grade)s may be at most “%(allowed)s”")
            % {"grade": grade, "allowed": Openness(allowed).label},
            code="openness_exceeds_grade",
        )


def search_text(resource: DataResource, schema: dict | None = None) -> str:
    parts = [resource.name, resource.title, resource.title_en, resource.description, *resource.keywords]
    if resource.department_id:
        parts.append(resource.department.name)
    for f in (schema or {}).get("fields", []):
        parts += [f.get("name", ""), f.get("title", ""), f.get("description", "")]
    return "\n".join(str(p) for p in parts if p).lower()


# --------------------------------------------------------------------------- metadata


def _clean_metadata(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(data) - set(METADATA_FIELDS) - {"name", "department"}
    if unknown:
        raise ValidationError(fields={f: [_("is not a field of a data resource")] for f in sorted(unknown)})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def text(name: str, max_length: int, required: bool = False) -> None:
        if name not in data:
            if required and not partial:
                errors[name] = [_("is required")]
            return
        value = data[name]
        value = "" if value is None else str(value).strip()
        if required and not value:
            errors[name] = [_("is required")]
        elif len(value) > max_length:
            errors[name] = [_("at most %d characters") % max_length]
        else:
            cleaned[name] = value

    def choice(name: str, choices) -> None:
        if name in data:
            value = str(data[name] or "").strip()
            valid = [str(c) for c in choices.values]
            if value not in valid:
                errors[name] = [_("must be one of %s") % ", ".join(valid)]
            else:
                cleaned[name] = value

    text("title", 200, required=True)
    text("title_en", 200)
    text("description", 5000)
    text("contact_name", 100)
    text("contact_email", 254)
    text("spatial", 15)
    choice("domain", Domain)
    choice("update_frequency", UpdateFrequency)
    choice("licence", Licence)
    choice("openness", Openness)
    if cleaned.get("contact_email") and "@" not in cleaned["contact_email"]:
        errors["contact_email"] = [_("is not an email address")]
    if cleaned.get("spatial") and not cleaned["spatial"].isdigit():
        errors["spatial"] = [_("must be a region code")]
    if "keywords" in data:
        raw = data["keywords"]
        if isinstance(raw, str):
            raw = [k for k in re.split(r"[,，;；\s]+", raw) if k]
        if not isinstance(raw, list | tuple) or not all(isinstance(k, str) for k in raw):
            errors["keywords"] = [_("must be a list of words")]
        elif len(raw) > 30 or any(len(k) > 40 for k in raw):
            errors["keywords"] = [_("at most 30 keywords of at most 40 characters")]
        else:
            cleaned["keywords"] = list(dict.fromkeys(k.strip() for k in raw if k.strip()))
    for name in ("temporal_start", "temporal_end"):
        if name in data:
            value = data[name]
            if value in (None, ""):
                cleaned[name] = None
            elif isinstance(value, dt.date):
                cleaned[name] = value
            else:
                try:
                    cleaned[name] = dt.date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = [_("must be a date (YYYY-MM-DD)")]
    start, end = cleaned.get("temporal_start"), cleaned.get("temporal_end")
    if start and end and start > end:
        errors["temporal_end"] = [_("must not be before the start")]
    if errors:
        raise ValidationError(fields=errors)
    return cleaned


@transaction.atomic
def resource_create(*, actor: Any, department: Department, name: str, **data: Any) -> DataResource:
    """Catalogue a new data resource (draft) for ``department`` (catalog.edit there)."""
    ensure_can(actor, "catalog.edit", department.org_unit, department)
    name = (name or "").strip().lower()
    if not NAME_RE.match(name):
        raise ValidationError.for_field(
            "name", _("3–100 lower-case ASCII letters, digits and hyphens, not at either end")
        )
    if DataResource.objects.filter(name=name).exists():
        raise Conflict(_("a data resource named “%s” exists already") % name, code="duplicate")
    cleaned = _clean_metadata(data, partial=False)
    if cleaned.get("openness"):
        _check_openness(cleaned["openness"], "L1")
    resource = DataResource(
        name=name,
        department=department,
        org_unit=department.org_unit,
        state=DataResource.workflow.initial,
        created_by=actor if getattr(actor, "pk", None) else None,
        spatial=cleaned.pop("spatial", "") or department.org_unit.code,
        **cleaned,
    )
    resource.search_text = search_text(resource)
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError:
        raise Conflict(_("a data resource named “%s” exists already") % name, code="duplicate") from None
    DataResource.workflow.start(
        resource, actor=actor, after={"name": name, "title": resource.title, "state": resource.state}
    )
    return resource


@transaction.atomic
def resource_update(*, actor: Any, resource: DataResource, **changes: Any) -> DataResource:
    """Change a resource's metadata (catalog.edit at its department). Openness is checked
    against the grade: it may never exceed what the grade allows."""
    ensure_can_on(actor, "catalog.edit", resource)
    changes.pop("name", None)
    cleaned = _clean_metadata(changes, partial=True)
    if "openness" in cleaned:
        _check_openness(cleaned["openness"], resource.grade)
    before = {k: getattr(resource, k) for k in cleaned}
    changed = {k: v for k, v in cleaned.items() if before[k] != v}
    if not changed:
        return resource
    for key, value in changed.items():
        setattr(resource, key, value)
    schema = resource.current_version.schema if resource.current_version_id else None
    resource.search_text = search_text(resource, schema)
    resource.save(update_fields=[*changed, "search_text", "modified_at"])
    audit.record(
        actor=actor,
        action="catalog.resource.update",
        target=resource,
        before={k: before[k] for k in changed},
        after=changed,
    )
    return resource


def resource_transition(
    *, actor: Any, resource: DataResource, action: str, note: str = "", expected_version: int | None = None
) -> DataResource:
    """Take a lifecycle step (submit, approve, reject, retire, reopen) through the workflow core:
    permission by role at the resource's department, optimistic version check, timeline, audit."""
    ensure_authenticated(actor)
    changes: dict[str, Any] = {"modified_at": timezone.now()}
    if action in ("submit", "approve"):
        _check_openness(resource.openness, resource.grade)
    if action == "approve":
        changes["published_at"] = timezone.now()
    with transaction.atomic():
        DataResource.workflow.apply(
            resource, action, actor=actor, note=note, changes=changes, expected_version=expected_version
        )
    return resource


# --------------------------------------------------------------------------- field grades


def _field_decision(field: dict, change: dict) -> dict:
    """Apply one publisher decision to a schema field (grade, category, policy, confirmed)."""
    from zhengtong.privacy.classify import ColumnClass
    from zhengtong.privacy.desensitize import default_policy, validate_policy

    name = field["name"]
    out = dict(field)
    cls = dict(out.get("classification") or {})
    if "category" in change and change["category"]:
        cls["category"] = str(change["category"])
    if "grade" in change and change["grade"]:
        if change["grade"] not in GRADES:
            raise ValidationError.for_field(f"{name}.grade", _("must be one of %s") % ", ".join(GRADES))
        out["grade"] = change["grade"]
    if "policy" in change and change["policy"]:
        policy = change["policy"]
        if isinstance(policy, str):
            policy = {"op": policy}
        if not isinstance(policy, dict) or policy.get("op") not in POLICY_OPS:
            raise ValidationError.for_field(f"{name}.policy", _("must be one of %s") % ", ".join(POLICY_OPS))
        if policy["op"] != (out.get("policy") or {}).get("op"):
            if policy["op"] != "keep" and len(policy) == 1:
                # Fill the operator's parameters from the privacy module's default for the class.
                suggested = default_policy(
                    ColumnClass(cls.get("category", "none"), out.get("grade", "L1"), 1.0, "publisher")
                )
                if suggested.get("op") == policy["op"]:
                    policy = suggested
                elif policy["op"] == "mask":
                    policy = {"op": "mask", "keep_first": 1, "keep_last": 1}
                elif policy["op"] == "generalize":
                    raise ValidationError.for_field(
                        f"{name}.policy", _("say what to generalize to (year, month, county, age_band, grid)")
                    )
            out["policy"] = validate_policy(f"{name}.policy", policy)
    out["classification"] = cls
    out["public_grade"] = public_grade(out.get("grade", "L1"), out.get("policy") or {"op": "keep"})
    if change.get("confirmed", True):
        out["confirmed"] = True
    return out


POLICY_OPS = ("keep", "mask", "generalize", "pseudonymize", "suppress", "round", "scan")


def field_grades_set(
    *, actor: Any, resource: DataResource, changes: dict[str, dict], confirm_all: bool = False, note: str = ""
) -> ResourceVersion:
    """Confirm or override the suggested class, grade and desensitization policy of fields.

    Versions are immutable, so the decision makes a new version: the raw rows of the current
    version are desensitized again with the decided policies and published as version n+1
    (atomically, like a load). Allowed while the resource is a draft; audited field by field.
    """
    ensure_can_on(actor, "catalog.edit", resource)
    if resource.state != "draft":
        raise Conflict(_("field grades can be changed only while the resource is a draft"), code="not_draft")
    current = resource.current_version
    if current is None:
        raise ValidationError.for_field("fields", _("load data first"))
    by_name = {f["name"]: f for f in current.fields}
    unknown = set(changes) - set(by_name)
    if unknown:
        raise ValidationError(fields={f: [_("is not a field of this resource")] for f in sorted(unknown)})
    new_fields = []
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for f in current.fields:
        change = changes.get(f["name"])
        if change is None and not (confirm_all and not f.get("confirmed")):
            new_fields.append(f)
            continue
        decided = _field_decision(f, change or {})
        new_fields.append(decided)
        keys = ("grade", "policy", "confirmed", "classification")
        before[f["name"]] = {k: f.get(k) for k in keys}
        after[f["name"]] = {k: decided.get(k) for k in keys}
    if not after:
        return current
    schema = {**current.schema, "fields": new_fields}
    new_grade = grade_max(f.get("public_grade", f.get("grade")) for f in new_fields)
    policies_changed = any((before[n].get("policy") or {}) != (after[n].get("policy") or {}) for n in after)
    from zhengtong.datastore import engine

    store_version = current.store_version
    if policies_changed:
        raw = _read_variant(current.table_key, current.store_version, "raw")
        public = _desensitize(raw, schema)
        store_version = engine.write_version(
            current.table_key,
            {"raw": raw, "public": public},
            mode="replace",
            base_version=current.store_version,
        )
    with transaction.atomic():
        locked = DataResource.objects.select_for_update().get(pk=resource.pk)
        if locked.current_version_id != current.pk:
            raise Conflict(
                _("a new version was loaded meanwhile; reload and try again"), code="stale_version"
            )
        version = ResourceVersion.objects.create(
            resource=resource,
            number=current.number + 1,
            schema=schema,
            row_count=current.row_count,
            table_key=current.table_key,
            store_version=store_version,
            source_format=current.source_format,
            created_by=actor if getattr(actor, "pk", None) else None,
            note=(note or _("field grades decided"))[:300],
        )
        _make_current(resource, version, new_grade)
        audit.record(
            actor=actor,
            action="catalog.resource.fields",
            target=resource,
            before=before,
            after={**after, "_grade": new_grade, "_version": version.number},
            note=note,
        )
        transaction.on_commit(lambda: _activate(version))
    return version


def _make_current(resource: DataResource, version: ResourceVersion, grade: str) -> None:
    resource.current_version = version
    resource.grade = grade
    resource.search_text = search_text(resource, version.schema)
    resource.modified_at = timezone.now()
    DataResource.objects.filter(pk=resource.pk).update(
        current_version=version,
        grade=grade,
        search_text=resource.search_text,
        modified_at=resource.modified_at,
    )


def _activate(version: ResourceVersion) -> None:
    from zhengtong.datastore import engine

    activate = getattr(engine, "activate", None)
    if activate is not None:
        try:
            activate(version.table_key, version.store_version)
        except Exception:  # the catalog's row stays the source of truth for what is served
            logger.exception("datastore activate failed for %s v%s", version.table_key, version.store_version)


def _read_variant(table_key: str, store_version: int, variant: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from zhengtong.datastore import engine

    reader = getattr(engine, "read_table", None)
    if reader is not None:
        return reader(table_key, store_version, variant)
    out = engine.export(table_key, store_version, variant, "parquet")
    if isinstance(out, str | Path):
        return pq.read_table(str(out))
    return pq.read_table(pa.BufferReader(b"".join(out)))


def _policies(schema: dict) -> dict[str, dict]:
    return {f["name"]: f.get("policy") or {"op": "keep"} for f in schema.get("fields", [])}


def _desensitize(table, schema: dict):
    from zhengtong.privacy.desensitize import desensitize_table

    policies = {k: v for k, v in _policies(schema).items() if v.get("op") != "keep"}
    if not policies:
        return table
    return desensitize_table(table, policies)


# --------------------------------------------------------------------------- loads


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
            "file", _("unsupported file type “%s” (CSV, XLSX, JSON or NDJSON)") % (ext or file_name)
        )
    return FORMATS[ext]


def _store_upload(resource: DataResource, uploaded_file: Any, file_name: str) -> tuple[str, int, str]:
    """Copy the upload under CATALOG_UPLOAD_DIR (hashing it on the way); path, size, sha256."""
    directory = Path(settings.CATALOG_UPLOAD_DIR) / str(resource.pk)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{uuid.uuid4().hex}-{_safe_name(file_name)}"
    digest = hashlib.sha256()
    size = 0
    limit = settings.CATALOG_UPLOAD_MAX_BYTES
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
                "file", _("is larger than the limit of %d bytes") % limit, code="too_large"
            )
        if size == 0:
            raise ValidationError.for_field("file", _("is empty"))
        from django.core.files.move import file_move_safe

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
                            "file", _("is larger than the limit of %d bytes") % limit, code="too_large"
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
    resource.refresh_from_db(fields=["state", "current_version"])
    if mode not in LoadJob.Mode.values:
        raise ValidationError.for_field("mode", _("must be replace or append"))
    if resource.state == "retired":
        raise Conflict(_("a retired resource takes no new data"), code="retired")
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
        )
    if run_now:
        load_run(job.pk, progress=progress)
    else:
        from zhengtong.catalog.tasks import load_run_task

        load_run_task.enqueue(job.pk)
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


def _classified_schema(table, schema: dict, previous: dict | None) -> dict:
    """Attach the classification, grade and policy to each field: the publisher's confirmed
    decision from the previous version where there is one, else the privacy module's suggestion."""
    from zhengtong.privacy.classify import classify_table
    from zhengtong.privacy.desensitize import default_policy

    before = {f["name"]: f for f in (previous or {}).get("fields", [])}
    names = [f["name"] for f in schema["fields"]]
    undecided = [n for n in names if not before.get(n, {}).get("confirmed")]
    suggestions = {}
    if undecided:
        sample_n = min(table.num_rows, settings.CATALOG_CLASSIFY_SAMPLE_ROWS)
        sample = table.select(undecided).slice(0, sample_n).to_pylist()
        sample = [{k: (None if v is None else str(v)) for k, v in row.items()} for row in sample]
        suggestions = classify_table(undecided, sample)
    fields = []
    for f in schema["fields"]:
        name = f["name"]
        old = before.get(name)
        if old is not None and old.get("confirmed"):
            merged = {
                **f,
                **{
                    k: old[k]
                    for k in ("classification", "grade", "policy", "public_grade", "confirmed")
                    if k in old
                },
            }
            merged.setdefault("title", old.get("title", name))
            fields.append(merged)
            continue
        cc = suggestions.get(name)
        if cc is None:
            category, grade, confidence, reason = "none", "L1", 0.0, ""
            policy = {"op": "keep"}
        else:
            category, grade, confidence, reason = cc.category, cc.grade, cc.confidence, cc.reason
            policy = default_policy(cc) or {"op": "keep"}
        fields.append(
            {
                **f,
                "classification": {
                    "category": category,
                    "confidence": round(float(confidence), 3),
                    "reason": str(reason),
                    "suggested_grade": grade,
                },
                "grade": grade,
                "policy": policy,
                "public_grade": public_grade(grade, policy),
                "confirmed": False,
            }
        )
    return {**schema, "fields": fields}


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
    from zhengtong.datastore import engine

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
        table_key, {"raw": table, "public": public}, mode=job.mode, base_version=base
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


# --------------------------------------------------------------------------- usage


def usage_record(resource: DataResource | int, kind: str) -> None:
    """Count a view, download or API call of ``resource`` today (cheap: one UPDATE, no audit)."""
    if kind not in ("views", "downloads", "api_calls"):
        raise ValueError(f"unknown usage kind {kind!r}")
    resource_id = getattr(resource, "pk", resource)
    day = timezone.localdate()
    updated = UsageDaily.objects.filter(resource_id=resource_id, day=day).update(**{kind: F(kind) + 1})
    if updated:
        return
    try:
        with transaction.atomic():
            UsageDaily.objects.create(resource_id=resource_id, day=day, **{kind: 1})
    except IntegrityError:  # created by a concurrent request between our UPDATE and INSERT
        UsageDaily.objects.filter(resource_id=resource_id, day=day).update(**{kind: F(kind) + 1})


# --------------------------------------------------------------------------- API keys, rate limits

KEY_PREFIX = SECRET_PREFIX[CredentialKind.DATA_API_KEY]


@transaction.atomic
def api_key_create(
    *, actor: Any, name: str, rate_limit_per_minute: int | None = None
) -> tuple[Credential, str]:
    """Issue a data API key (an accounts credential of kind data_api_key) to ``actor``; returns
    the key and its secret (shown once)."""
    ensure_authenticated(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError.for_field("name", _("is required (at most 100 characters)"))
    active = account_selectors.credentials_of(owner=actor, kind=CredentialKind.DATA_API_KEY)
    active = active.filter(revoked_at__isnull=True).count()
    if active >= settings.CATALOG_MAX_KEYS_PER_USER:
        raise ValidationError.for_field(
            "name", _("you hold %d active keys already; revoke one first") % active, code="too_many_keys"
        )
    limit = settings.CATALOG_KEY_RATE_LIMIT
    if rate_limit_per_minute is not None:
        # Raising a key's limit above the default is for data officers only.
        if rate_limit_per_minute < 1:
            raise ValidationError.for_field("rate_limit_per_minute", _("must be at least 1"))
        if rate_limit_per_minute > limit:
            ensure_can(actor, "catalog.manage_keys")
        limit = rate_limit_per_minute
    return credentials.credential_create(
        actor=actor,
        kind=CredentialKind.DATA_API_KEY,
        name=name,
        owner=actor,
        rate_limit_per_minute=limit,
        audit_action="catalog.key.create",
        audit_after={"name": name, "limit": limit},
    )


@transaction.atomic
def api_key_revoke(*, actor: Any, key: Credential) -> Credential:
    """Revoke a key (its owner, or a holder of catalog.manage_keys)."""
    ensure_authenticated(actor)
    if key.kind != CredentialKind.DATA_API_KEY:
        raise NotFound(_("no such key"))
    if key.owner_id != actor.pk:
        ensure_can(actor, "catalog.manage_keys")
    return credentials.credential_revoke(actor=actor, credential=key, audit_action="catalog.key.revoke")


def api_key_authenticate(secret: str) -> Credential | None:
    """The live data API key for ``secret``, or None."""
    return credentials.credential_authenticate(secret, kind=CredentialKind.DATA_API_KEY)


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_check(request) -> Credential | None:
    """Count one data-API call against its key (``X-API-Key`` header, ``Authorization: Key ...``
    or ``?api_key=``) or, without one, against the caller's IP address. Returns the key (None
    when anonymous); raises RateLimited past the limit, PermissionDenied for an unknown key."""
    secret = request.headers.get("X-API-Key", "")
    auth = request.headers.get("Authorization", "")
    if not secret and auth.startswith(f"Key {KEY_PREFIX}"):
        secret = auth[4:].strip()
    if not secret and auth.startswith(f"Bearer {KEY_PREFIX}"):
        secret = auth[7:].strip()
    if not secret:
        secret = request.GET.get("api_key", "")
    if secret:
        key = api_key_authenticate(secret.strip())
        if key is None:
            raise PermissionDenied(_("unknown or revoked API key"), code="invalid_api_key")
        ratelimit.hit(
            "catalog",
            f"k{key.pk}",
            limit=key.rate_limit_per_minute,
            message=_("rate limit of %d requests per minute reached") % key.rate_limit_per_minute,
        )
        return key
    limit = settings.CATALOG_ANON_RATE_LIMIT
    ratelimit.hit(
        "catalog",
        f"ip{_client_ip(request)}",
        limit=limit,
        message=_("rate limit of %d requests per minute reached; use an API key for more") % limit,
    )
    return None


# --------------------------------------------------------------------------- data applications


@transaction.atomic
def application_submit(
    *, actor: Any, resource: DataResource, purpose: str, fields: list[str]
) -> DataApplication:
    """Apply for the rows of a conditionally open resource (the owning department decides)."""
    ensure_authenticated(actor)
    if resource.state != "published" or resource.openness != Openness.CONDITIONAL:
        raise Conflict(
            _("only published, conditionally open resources take applications"), code="not_conditional"
        )
    purpose = (purpose or "").strip()
    if len(purpose) < 10 or len(purpose) > 2000:
        raise ValidationError.for_field("purpose", _("describe the purpose in 10 to 2000 characters"))
    known = [f["name"] for f in (resource.current_version.fields if resource.current_version else [])]
    fields = [f for f in dict.fromkeys(fields or [])]
    if not fields:
        raise ValidationError.for_field("fields", _("choose at least one field"))
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise ValidationError.for_field("fields", _("unknown fields: %s") % ", ".join(unknown))
    if DataApplication.objects.filter(resource=resource, applicant=actor, state="submitted").exists():
        raise Conflict(_("you have an application for this resource waiting already"), code="duplicate")
    application = DataApplication.objects.create(
        resource=resource,
        applicant=actor,
        purpose=purpose,
        fields=fields,
        org_unit=resource.org_unit,
        department=resource.department,
        state=DataApplication.workflow.initial,
    )
    DataApplication.workflow.start(
        application, actor=actor, after={"resource": resource.name, "fields": fields}
    )
    return application


def application_decide(
    *,
    actor: Any,
    application: DataApplication,
    action: str,
    note: str = "",
    expected_version: int | None = None,
) -> DataApplication:
    """Approve, reject, revoke (the owning department) or withdraw (the applicant) an application."""
    ensure_authenticated(actor)
    changes: dict[str, Any] = {}
    if action in ("approve", "reject"):
        changes["decided_at"] = timezone.now()
        changes["decision_note"] = (note or "")[:500]
    if action == "approve":
        changes["valid_until"] = timezone.localdate() + dt.timedelta(days=settings.CATALOG_APPLICATION_DAYS)
    with transaction.atomic():
        DataApplication.workflow.apply(
            application, action, actor=actor, note=note, changes=changes, expected_version=expected_version
        )
    return application


def resource_by_name(name: str) -> DataResource:
    found = (
        DataResource.objects.filter(name=name)
        .select_related("department", "org_unit", "current_version")
        .first()
    )
    if found is None:
        raise NotFound(_("no data resource “%s”") % name)
    return found


__all__ = [
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "application_decide",
    "application_submit",
    "field_grades_set",
    "load_run",
    "load_start",
    "rate_limit_check",
    "resource_create",
    "resource_transition",
    "resource_update",
    "usage_record",
]


def platform_dataset_publish(
    *,
    name: str,
    fields: list[str],
    rows,
    title: str,
    title_en: str,
    description: str,
    domain: str,
    keywords: list[str],
    update_frequency: str = "daily",
) -> str:
    """Load a dataset the platform produces itself (statistics, indices) into the catalogue as
    resource ``name`` of the root unit's big-data bureau: created as a draft the first time, for a
    data officer to review and publish; each call loads the CSV as a new version. Acts as the
    platform account. ``rows`` are tuples in the order of ``fields``. Returns what happened; never
    raises (the producer must not fail with it)."""
    import csv
    import io

    from zhengtong.accounts.permissions import root_unit
    from zhengtong.accounts.services import system_actor

    root = root_unit()
    department = (
        Department.objects.filter(org_unit=root, code="dsj").first()
        or Department.objects.filter(org_unit=root).order_by("id").first()
    )
    if department is None:
        return "no department at the root unit"
    actor = system_actor()
    try:
        resource = DataResource.objects.filter(name=name).first()
        if resource is None:
            resource = resource_create(
                actor=actor,
                department=department,
                name=name,
                title=title,
                title_en=title_en,
                description=description,
                domain=domain,
                update_frequency=update_frequency,
                licence="CC-BY-4.0",
                keywords=keywords,
            )
        path = Path(settings.VAR_DIR) / "generated" / f"{name}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(fields)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        path.write_text(buf.getvalue(), encoding="utf-8")
        load_start(
            actor=actor, resource=resource, uploaded_file=str(path), mode="replace", file_name=f"{name}.csv"
        )
    except Exception as exc:  # noqa: BLE001 - reported to the caller, never raised
        logger.warning("publishing %s to the catalogue failed: %s", name, exc)
        return f"catalogue load failed: {exc}"
    return "loaded"
