"""Jobs on the raw data: disclosure control (small cells, rounding, dominance, differencing),
the data officer's check, downloads only after release, and the memory and time limits."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, NotFound, PermissionDenied
from zhengtong.sandbox import services
from zhengtong.sandbox.models import Job, OutputReview

GROUP = 'SELECT "所属区县" AS d, "行业" AS i, count(*) AS n, sum("注册资本(万元)") AS capital FROM data GROUP BY 1, 2 ORDER BY 1, 2'


def _submit(box, project, sql):
    return services.job_submit(
        actor=box.researcher, project=project, dataset_id=box.dataset(project), sql=sql, run_now=True
    )


def test_district_by_industry_aggregates_with_small_cells_withheld(box):
    project = box.approved()
    job = _submit(box, project, GROUP)
    assert job.status == Job.Status.CHECKED, job.reason
    counts = Counter((r["所属区县"], r["行业"]) for r in box.rows())
    big = {key: n for key, n in counts.items() if n >= 10}
    assert 0 < len(big) < len(counts)  # the data has both kinds of cell
    shown = {(row[0], row[1]): row for row in job.output["rows"]}
    assert set(shown) == set(big)
    for key, n in big.items():
        assert shown[key][2] == 5 * round(n / 5)
    assert job.checks["small_cell"] == len(counts) - len(big)
    assert job.checks["threshold"] == 10 and job.checks["subject"] == "统一社会信用代码"
    assert job.output["columns"] == ["d", "i", "n", "capital"]
    assert AuditEvent.objects.filter(action="sandbox.job.check", target_id=str(job.pk)).count() == 1


def test_output_reaches_the_applicant_only_after_release(box, world, client):
    project = box.approved()
    job = _submit(box, project, GROUP)
    assert not services.may_see_output(box.researcher, job)
    assert services.may_see_output(box.officer, job)
    with pytest.raises(Conflict):
        services.output_download(actor=box.researcher, job=job)
    with pytest.raises(NotFound):
        services.output_download(actor=world.xihu_clerk, job=job)
    # Nobody but a data officer of the unit checks it, and never their own job.
    with pytest.raises(PermissionDenied):
        services.output_review(actor=box.researcher, job=job, decision="release")
    with pytest.raises(PermissionDenied):
        services.output_review(actor=box.publisher, job=job, decision="release")
    job.refresh_from_db()
    assert job.status == Job.Status.CHECKED and OutputReview.objects.count() == 0
    services.output_review(actor=box.officer, job=job, decision="release", note="表内单元格均已达阈值")
    job.refresh_from_db()
    assert job.status == Job.Status.RELEASED
    body = services.output_download(actor=box.researcher, job=job).decode("utf-8-sig")
    assert body.splitlines()[0] == "d,i,n,capital"
    assert len(body.splitlines()) == 1 + len(job.output["rows"])
    assert AuditEvent.objects.filter(action="sandbox.output.download", target_id=str(job.pk)).count() == 1
    client.force_login(box.researcher)
    response = client.get(f"/sandbox/jobs/{job.pk}/output.csv")
    assert response.status_code == 200 and response.content.decode("utf-8-sig") == body


def test_withheld_output_is_never_downloadable(box):
    project = box.approved()
    job = _submit(box, project, GROUP)
    services.output_review(actor=box.officer, job=job, decision="withhold", note="行业分类过细")
    job.refresh_from_db()
    assert job.status == Job.Status.WITHHELD
    assert not services.may_see_output(box.researcher, job)
    with pytest.raises(Conflict):
        services.output_download(actor=box.researcher, job=job)


def test_dominance_rule_suppresses_a_sum_driven_by_one_enterprise(box):
    project = box.approved()
    target = box.rows()[7]
    # One enterprise's figure blown up to dominate its district's total (all of the district's
    # enterprises still contribute, so only the dominance rule can catch it).
    sql = (
        'SELECT "所属区县" AS d, count(*) AS n, '
        f'sum(CASE WHEN "企业名称" = \'{target["企业名称"]}\' THEN "注册资本(万元)" * 1000000 '
        'ELSE "注册资本(万元)" END) AS capital FROM data GROUP BY 1 ORDER BY 1'
    )
    job = _submit(box, project, sql)
    assert job.status == Job.Status.CHECKED, job.reason
    rows = {row[0]: (row, flags) for row, flags in zip(job.output["rows"], job.output["flags"], strict=True)}
    row, flags = rows[target["所属区县"]]
    assert row[2] is None and flags[2] == "dominance"
    assert job.checks["dominance"] >= 1


def test_a_single_contributor_hidden_in_a_sum_is_suppressed(box):
    project = box.approved()
    target = box.rows()[7]
    sql = (
        'SELECT "所属区县" AS d, count(*) AS n, '
        f'sum(CASE WHEN "企业名称" = \'{target["企业名称"]}\' THEN "注册资本(万元)" ELSE 0 END) AS capital '
        "FROM data GROUP BY 1 ORDER BY 1"
    )
    job = _submit(box, project, sql)
    rows = {row[0]: (row, flags) for row, flags in zip(job.output["rows"], job.output["flags"], strict=True)}
    row, flags = rows[target["所属区县"]]
    assert row[2] is None and flags[2] == "small_count"
    others = [r for d, (r, f) in rows.items() if d != target["所属区县"]]
    assert others and all(r[2] == 0 for r in others)  # no contributor: a plain zero


def test_differencing_guard_suppresses_a_cell_differing_by_one_enterprise(box):
    project = box.approved()
    first = _submit(box, project, 'SELECT "所属区县" AS d, count(*) AS n FROM data GROUP BY 1')
    assert first.status == Job.Status.CHECKED
    target = box.rows()[3]
    second = _submit(
        box,
        project,
        f'SELECT "所属区县" AS d, count(*) AS n FROM data WHERE "企业名称" <> \'{target["企业名称"]}\' GROUP BY 1',
    )
    assert second.status == Job.Status.CHECKED, second.reason
    names = Counter(r["企业名称"] for r in box.rows())
    assert names[target["企业名称"]] < 10  # the difference is fewer than 10 enterprises
    for row, flags in zip(second.output["rows"], second.output["flags"], strict=True):
        if row[0] == target["所属区县"]:
            assert row[1] is None and flags[1] == "differencing"
        else:
            assert row[1] is not None and flags[1] is None
    assert second.checks["differencing"] == 1
    # The same question asked as an equality filter instead of a grouping is caught too.
    third = _submit(
        box,
        project,
        f"SELECT count(*) AS n FROM data WHERE \"所属区县\" = '{target['所属区县']}' "
        f"AND \"企业名称\" <> '{target['企业名称']}'",
    )
    assert third.status == Job.Status.REFUSED and third.output is None
    assert third.rule == "singles_out"


def test_a_job_over_its_time_limit_is_stopped_and_the_worker_survives(box, settings):
    settings.SANDBOX_JOB_TIMEOUT_S = 1
    project = box.approved()
    job = _submit(
        box,
        project,
        'SELECT "所属区县", count(*) FROM data WHERE "从业人数" < (SELECT count(*) FROM range(100000000000)) GROUP BY 1',
    )
    assert job.status == Job.Status.FAILED and job.rule == "time_limit" and job.output is None
    assert AuditEvent.objects.filter(action="sandbox.job.fail", target_id=str(job.pk)).count() == 1
    after = _submit(box, project, GROUP)
    assert after.status == Job.Status.CHECKED


def test_a_job_over_its_memory_limit_is_stopped_and_the_worker_survives(box, settings):
    settings.SANDBOX_JOB_MEMORY_LIMIT = "64MB"
    project = box.approved()
    job = _submit(
        box,
        project,
        'SELECT "所属区县", sum(length(repeat("企业名称", 20000000))) AS s FROM data GROUP BY 1',
    )
    assert job.status == Job.Status.FAILED and job.rule == "memory_limit" and job.output is None
    assert AuditEvent.objects.filter(action="sandbox.job.fail", target_id=str(job.pk)).count() == 1
    settings.SANDBOX_JOB_MEMORY_LIMIT = "1GB"
    assert _submit(box, project, GROUP).status == Job.Status.CHECKED


def test_jobs_are_versioned_per_project(box):
    project = box.approved()
    numbers = [_submit(box, project, GROUP).number for _ in range(2)]
    numbers.append(_submit(box, project, "SELECT * FROM data").number)
    assert numbers == [1, 2, 3]
    by_status = defaultdict(int)
    for job in Job.objects.filter(project=project):
        by_status[job.status] += 1
    assert dict(by_status) == {"checked": 2, "refused": 1}


def test_a_job_whose_data_is_gone_fails_instead_of_hanging(box):
    from zhengtong.datastore import engine

    project = box.approved()
    version = project.datasets.get().version
    engine.delete_table(version.table_key)
    job = _submit(box, project, GROUP)
    assert (job.status, job.rule, job.output) == (Job.Status.FAILED, "failed", None)
    assert AuditEvent.objects.filter(action="sandbox.job.fail", target_id=str(job.pk)).count() == 1


def test_the_task_worker_runs_a_queued_job_once(box):
    from zhengtong.sandbox.tasks import job_run_task

    project = box.approved()
    job = services.job_submit(
        actor=box.researcher, project=project, dataset_id=box.dataset(project), sql=GROUP
    )
    # The test settings run tasks at once (ImmediateBackend): the job went through the worker path.
    assert job.status == Job.Status.CHECKED and job.started_at is not None
    assert services.job_run(job.pk) is None  # not queued any more: never run twice
    assert job_run_task.call(job.pk) == "skipped"
    assert AuditEvent.objects.filter(action="sandbox.job.check", target_id=str(job.pk)).count() == 1
