"""The workspace of a project: its synthetic datasets (written to the datastore's version store
under ``sbx-p<project>-d<dataset>``) and, while the project lives, the outputs of its jobs.

Deleting it (close, expiry) removes the synthetic tables, the outputs no data officer released
and the ledger of shown cells; released outputs, code, check results and reviews stay: they are
the record of what left the sandbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhengtong.audit import services as audit
from zhengtong.datastore import engine
from zhengtong.sandbox import synthetic
from zhengtong.sandbox.models import CellRecord, Job, Project

# Intermediate results: what the workspace deletes (not released outputs).
_INTERMEDIATE = (Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.CHECKED, Job.Status.WITHHELD)


def workspace_build(*, project: Project, actor: Any) -> None:
    """Generate the synthetic twin of every dataset of ``project`` (see ``synthetic``)."""
    built = []
    for dataset in project.datasets.select_related("version"):
        version = dataset.version
        fields = version.schema.get("fields", [])
        domains = synthetic.public_domains(version.table_key, version.store_version, fields)
        table = synthetic.generate(
            fields, settings.SANDBOX_SYNTHETIC_ROWS, seed=project.pk * 1000 + dataset.pk, domains=domains
        )
        key = f"sbx-p{project.pk}-d{dataset.pk}"
        number = engine.write_version(key, {"raw": table}, note="synthetic")
        dataset.synthetic_key, dataset.synthetic_version = key, number
        dataset.save(update_fields=["synthetic_key", "synthetic_version"])
        built.append({"dataset": dataset.resource.name, "rows": table.num_rows, "table": key})
    audit.record(actor=actor, action="sandbox.workspace.create", target=project, after={"datasets": built})


@transaction.atomic
def workspace_delete(*, project: Project, actor: Any) -> None:
    """Delete the synthetic tables, unreleased outputs and the cell ledger of ``project``."""
    tables = []
    for dataset in project.datasets.all():
        if dataset.synthetic_key:
            engine.delete_table(dataset.synthetic_key)
            tables.append(dataset.synthetic_key)
    project.datasets.update(synthetic_key="", synthetic_version=None)
    outputs = Job.objects.filter(project=project, status__in=_INTERMEDIATE, output__isnull=False).update(
        output=None
    )
    Job.objects.filter(project=project, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)).update(
        status=Job.Status.FAILED, reason="workspace deleted"
    )
    cells = CellRecord.objects.filter(project=project).delete()[0]
    project.workspace_deleted_at = timezone.now()
    project.save(update_fields=["workspace_deleted_at"])
    audit.record(
        actor=actor,
        action="sandbox.workspace.delete",
        target=project,
        after={"tables": tables, "outputs_deleted": outputs, "cells_forgotten": cells},
        via="" if actor is not None else "sandbox",
    )
