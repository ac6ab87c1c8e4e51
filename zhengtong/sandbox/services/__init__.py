"""Writes of the data sandbox, one module per use case:

- ``projects``: applying (Five Safes), the owner's and the security officer's approvals,
  rejection, closing, expiry;
- ``workspace``: building (synthetic data) and deleting (intermediate data) a project's workspace;
- ``jobs``: the workbench (schema, synthetic preview, SQL on synthetic data), job submission, the
  run on raw data with disclosure control, the data officer's output check, the download.

Every function checks permission, validates, writes and records its audit event in one
transaction (the workflow mechanism records the project's transitions itself).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from zhengtong.audit import actions as audit_actions
from zhengtong.sandbox.services.jobs import (
    dataset_schema,
    ensure_workspace,
    job_run,
    job_submit,
    may_see_output,
    output_download,
    output_review,
    synthetic_preview,
    synthetic_query,
)
from zhengtong.sandbox.services.projects import (
    project_apply,
    project_approve,
    project_approve_owner,
    project_close,
    project_reject,
    projects_expire,
)
from zhengtong.sandbox.services.workspace import workspace_build, workspace_delete

audit_actions.register(
    {
        "sandbox.workspace.create": gettext_lazy("Create sandbox workspace (synthetic data)"),
        "sandbox.workspace.delete": gettext_lazy("Delete sandbox workspace"),
        "sandbox.query.refuse": gettext_lazy("Refuse sandbox SQL"),
        "sandbox.job.submit": gettext_lazy("Submit sandbox job"),
        "sandbox.job.refuse": gettext_lazy("Refuse sandbox job"),
        "sandbox.job.fail": gettext_lazy("Sandbox job stopped or failed"),
        "sandbox.job.check": gettext_lazy("Sandbox job checked by disclosure control"),
        "sandbox.output.release": gettext_lazy("Release sandbox output"),
        "sandbox.output.withhold": gettext_lazy("Withhold sandbox output"),
        "sandbox.output.download": gettext_lazy("Download sandbox output"),
    }
)

__all__ = [
    "dataset_schema",
    "ensure_workspace",
    "job_run",
    "job_submit",
    "may_see_output",
    "output_download",
    "output_review",
    "project_apply",
    "project_approve",
    "project_approve_owner",
    "project_close",
    "project_reject",
    "projects_expire",
    "synthetic_preview",
    "synthetic_query",
    "workspace_build",
    "workspace_delete",
]
