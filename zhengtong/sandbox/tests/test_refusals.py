"""Every refusal of the sandbox: reading files, attaching databases, loading extensions, exporting
rows, singling out a subject. Each returns nothing, tells the applicant why, and is audited."""

from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.core.errors import Conflict, PermissionDenied, ValidationError
from zhengtong.sandbox import services
from zhengtong.sandbox.models import CellRecord, Job

USCC = "统一社会信用代码"

REFUSED_JOBS = [
    # reading files
    ("SELECT count(*) FROM read_csv('/etc/passwd')", "forbidden_sql", "read_csv"),
    ("SELECT count(*) FROM '/etc/passwd'", "forbidden_sql", "/etc/passwd"),
    ("SELECT count(*) FROM read_parquet('raw.parquet')", "forbidden_sql", "read_parquet"),
    ("COPY (SELECT * FROM data) TO '/tmp/out.csv'", "forbidden_sql", "COPY"),
    # attaching databases
    ("ATTACH '/tmp/other.duckdb' AS other", "forbidden_sql", "ATTACH"),
    ("SELECT count(*) FROM other.main.t", "forbidden_sql", "data"),
    # loading extensions
    ("LOAD httpfs", "forbidden_sql", "LOAD"),
    ("INSTALL httpfs", "forbidden_sql", "SELECT"),  # DuckDB names INSTALL a LOAD statement
    ("SELECT load_extension('httpfs')", "forbidden_sql", "load_extension"),
    # exporting rows
    ("SELECT * FROM data", "exports_rows", ""),
    (f'SELECT "{USCC}", "企业名称" FROM data', "exports_rows", ""),
    ('SELECT "所属区县", max("注册资本(万元)") FROM data GROUP BY 1', "exports_rows", "max"),
    ('SELECT "所属区县", list("企业名称") FROM data GROUP BY 1', "exports_rows", "list"),
    ('SELECT "所属区县", string_agg("法定代表人", \',\') FROM data GROUP BY 1', "exports_rows", "string_agg"),
    (
        'SELECT "所属区县", arg_max("企业名称", "注册资本(万元)") FROM data GROUP BY 1',
        "exports_rows",
        "arg_max",
    ),
    ('SELECT "企业名称", row_number() OVER () FROM data', "exports_rows", ""),
    ("WITH t AS (SELECT * FROM data) SELECT count(*) FROM t", "exports_rows", "WITH"),
    ("SELECT count(*) FROM data UNION ALL SELECT count(*) FROM data", "exports_rows", ""),
    # singling out a subject (or all but one)
    (
        f'SELECT count(*), sum("注册资本(万元)") FROM data WHERE "{USCC}" = \'91330106MA000001X1\'',
        "singles_out",
        USCC,
    ),
    (
        f'SELECT "所属区县", count(*) FROM data WHERE "{USCC}" <> \'91330106MA000001X1\' GROUP BY 1',
        "singles_out",
        USCC,
    ),
    (f'SELECT "{USCC}", count(*) FROM data GROUP BY 1', "singles_out", USCC),
    (
        "SELECT count(*) FROM data WHERE \"法定代表人身份证号\" IN ('330106198506150011')",
        "singles_out",
        "法定代表人身份证号",
    ),
]


def test_refused_jobs_return_nothing_and_are_audited(box):
    """One project, every refused form in turn (one fixture: the province is built once)."""
    project = box.approved()
    for sql, rule, mentions in REFUSED_JOBS:
        job = services.job_submit(
            actor=box.researcher, project=project, dataset_id=box.dataset(project), sql=sql, run_now=True
        )
        assert job.status == Job.Status.REFUSED, sql
        assert (job.rule, job.output, job.checks, job.started_at) == (rule, None, {}, None), sql
        assert mentions in job.reason, (sql, job.reason)
        event = AuditEvent.objects.get(action="sandbox.job.refuse", target_id=str(job.pk))
        assert event.actor_id == box.researcher.pk
        assert event.after["rule"] == rule and event.after["sql_sha256"] == job.sql_sha256
    assert Job.objects.filter(project=project).exclude(status=Job.Status.REFUSED).count() == 0
    assert CellRecord.objects.count() == 0


def test_query_aimed_at_one_enterprise_by_name_is_refused_after_the_run(box):
    """A subject picked out by a column that is not an identifier: the cell has one enterprise,
    so nothing passes disclosure control and the job is refused."""
    project = box.approved()
    target = box.rows()[0]
    job = services.job_submit(
        actor=box.researcher,
        project=project,
        dataset_id=box.dataset(project),
        sql=f'SELECT count(*) AS n, sum("注册资本(万元)") AS capital, avg("从业人数") FROM data '
        f"WHERE \"企业名称\" = '{target['企业名称']}'",
        run_now=True,
    )
    assert job.status == Job.Status.REFUSED and job.rule == "singles_out"
    assert job.output is None and job.started_at is not None
    assert AuditEvent.objects.filter(action="sandbox.job.refuse", target_id=str(job.pk)).count() == 1
    assert CellRecord.objects.count() == 0


EDITOR_REFUSALS = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "ATTACH '/tmp/x.duckdb'",
    "LOAD httpfs",
    "SELECT current_setting('allowed_paths')",
    "SELECT * FROM duckdb_settings()",
]


def test_refused_editor_sql_on_synthetic_data_is_audited(box):
    project = box.approved()
    for sql in EDITOR_REFUSALS:
        with pytest.raises(ValidationError) as err:
            services.synthetic_query(
                actor=box.researcher, project=project, dataset_id=box.dataset(project), sql=sql
            )
        assert "sql" in err.value.fields
    events = AuditEvent.objects.filter(action="sandbox.query.refuse").order_by("id")
    assert len(events) == len(EDITOR_REFUSALS)
    for event in events:
        assert event.actor_id == box.researcher.pk and event.after["rule"] == "forbidden_sql"
        assert event.after["data"] == "synthetic"


def test_editor_says_why_a_query_would_be_refused_as_a_job(box):
    project = box.approved()
    result = services.synthetic_query(
        actor=box.researcher,
        project=project,
        dataset_id=box.dataset(project),
        sql="SELECT * FROM data LIMIT 3",
    )
    assert len(result["rows"]) == 3 and result["job_check"]
    ok = services.synthetic_query(
        actor=box.researcher,
        project=project,
        dataset_id=box.dataset(project),
        sql='SELECT "所属区县", count(*) FROM data GROUP BY 1',
    )
    assert ok["job_check"] == ""


def test_only_the_applicant_works_in_an_approved_project(box, world):
    project = box.apply()
    with pytest.raises(Conflict):
        services.job_submit(
            actor=box.researcher, project=project, dataset_id=box.dataset(project), sql="SELECT 1"
        )
    box_project = box.approved()
    for actor in (box.officer, box.publisher, world.xihu_clerk):
        with pytest.raises(PermissionDenied):
            services.job_submit(
                actor=actor,
                project=box_project,
                dataset_id=box.dataset(box_project),
                sql="SELECT count(*) FROM data",
            )
    assert Job.objects.count() == 0
