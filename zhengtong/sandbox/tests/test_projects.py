"""Projects: application, the two approvals (two people, neither the applicant), the workspace's
synthetic data, closing and expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import PermissionDenied, ValidationError
from zhengtong.core.identifiers import validate_resident_id, validate_uscc
from zhengtong.datastore import engine
from zhengtong.sandbox import services
from zhengtong.sandbox.models import Job, Project


def test_apply_and_two_approvals_build_the_workspace(box):
    project = box.apply()
    assert project.state == "submitted"
    assert project.department == box.world.xihu_scjg
    assert project.min_cell == 10
    services.project_approve_owner(actor=box.publisher, project=project)
    assert project.state == "owner_approved"
    services.project_approve(actor=box.officer, project=project)
    project.refresh_from_db()
    assert project.state == "approved"
    assert (project.owner_approver, project.security_approver) == (box.publisher, box.officer)
    dataset = project.datasets.get()
    assert engine.versions(dataset.synthetic_key) == [dataset.synthetic_version]
    actions = list(
        AuditEvent.objects.filter(target_type="sandbox.project", target_id=str(project.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "sandbox.project.create",
        "sandbox.project.approve_owner",
        "sandbox.project.approve",
        "sandbox.workspace.create",
    ]


def test_applicant_may_not_approve_and_nothing_changes(box, world):
    # A researcher who also publishes in the owner department still may not approve their own.
    world.acc.role_grant(
        actor=world.system,
        user=box.researcher,
        role="data_publisher",
        org_unit=world.xihu,
        department=world.xihu_scjg,
    )
    project = box.apply()
    with pytest.raises(ValidationError):
        services.project_approve_owner(actor=box.researcher, project=project)
    with pytest.raises(PermissionDenied):
        services.project_approve_owner(actor=world.xihu_clerk, project=project)
    project.refresh_from_db()
    assert (project.state, project.version, project.owner_approver) == ("submitted", 0, None)


def test_owner_approver_may_not_give_the_security_approval(box, world):
    world.acc.role_grant(actor=world.system, user=box.publisher, role="data_officer", org_unit=world.xihu)
    project = box.apply()
    services.project_approve_owner(actor=box.publisher, project=project)
    with pytest.raises(ValidationError):
        services.project_approve(actor=box.publisher, project=project)
    project.refresh_from_db()
    assert project.state == "owner_approved"
    assert not project.datasets.get().synthetic_key


def test_application_needs_the_five_safes(box, world):
    with pytest.raises(ValidationError) as err:
        box.apply(people_trained=False)
    assert "people_trained" in err.value.fields
    with pytest.raises(ValidationError) as err:
        box.apply(purpose="")
    assert "purpose" in err.value.fields
    with pytest.raises(ValidationError) as err:
        box.apply(min_cell=3)
    assert "min_cell" in err.value.fields
    with pytest.raises(PermissionDenied):
        services.project_apply(
            actor=world.xihu_clerk,
            title="x",
            purpose="x",
            public_benefit="x",
            datasets=["enterprises"],
            starts_on=dt.date.today(),
            ends_on=dt.date.today() + dt.timedelta(days=5),
            people_trained=True,
        )
    assert Project.objects.count() == 0


def test_synthetic_data_is_schema_true_and_not_real(box):
    project = box.approved()
    columns, rows = services.synthetic_preview(
        actor=box.researcher, project=project, dataset_id=box.dataset(project)
    )
    assert columns == [f["name"] for f in project.datasets.get().version.schema["fields"]]
    assert len(rows) == services.jobs.PREVIEW_ROWS
    real = {r["统一社会信用代码"] for r in box.rows()} | {r["法定代表人身份证号"] for r in box.rows()}
    uscc, rid = columns.index("统一社会信用代码"), columns.index("法定代表人身份证号")
    for row in rows:
        assert validate_uscc(row[uscc]) == row[uscc]
        assert validate_resident_id(row[rid]) == row[rid]
        assert row[uscc] not in real and row[rid] not in real
    districts = {r["所属区县"] for r in box.rows()}
    assert {row[columns.index("所属区县")] for row in rows} <= districts
    assert all(isinstance(row[columns.index("从业人数")], int) for row in rows)


def test_expiry_deletes_the_workspace_but_keeps_released_outputs(box):
    project = box.approved()
    dataset = box.dataset(project)
    sql = 'SELECT "所属区县", count(*) AS n FROM data GROUP BY 1'
    released = services.job_submit(
        actor=box.researcher, project=project, dataset_id=dataset, sql=sql, run_now=True
    )
    services.output_review(actor=box.officer, job=released, decision="release")
    pending = services.job_submit(
        actor=box.researcher,
        project=project,
        dataset_id=dataset,
        sql=sql.replace("count(*)", "count(1)"),
        run_now=True,
    )
    assert pending.status == "checked" and pending.output is not None
    key = project.datasets.get().synthetic_key
    assert services.projects_expire(today=project.ends_on) == 0
    assert services.projects_expire(today=project.ends_on + dt.timedelta(days=1)) == 1
    project.refresh_from_db()
    assert project.state == "expired" and project.workspace_deleted_at is not None
    assert engine.versions(key) == []
    assert Job.objects.get(pk=pending.pk).output is None
    assert Job.objects.get(pk=released.pk).output is not None
    assert (
        AuditEvent.objects.filter(action="sandbox.workspace.delete", target_id=str(project.pk)).count() == 1
    )
