"""Demo sandbox project over the enterprise registry (杭州市企业登记信息, the catalogue demo's
``hz-enterprise-registry``): a researcher's project approved by the owner department's publisher
and the provincial data security officer, with jobs run on the raw data:

- v1 district × industry counts and registered capital of enterprises founded since 2010 (some
  cells under 10 enterprises, withheld): checked, released, downloadable;
- v2 the figures of one named enterprise: refused (singles out a subject);
- v3 ``SELECT *``: refused (exports rows);
- v4 district × registration status: checked, waiting for the data officer.

Idempotent: a second run finds the project and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts import services as account_services
from zhengtong.accounts.kinds import UserKind
from zhengtong.accounts.services import system_actor
from zhengtong.catalog import demo as catalog_demo
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.core.errors import NotFound
from zhengtong.registry.demo import DEMO_PASSWORD
from zhengtong.sandbox import services
from zhengtong.sandbox.models import Project

RESOURCE = "hz-enterprise-registry"
TITLE = "杭州市区县与行业企业分布研究"
RESEARCHER = ("hz_researcher", "杭州市统计研究员", "330100")
OWNER_APPROVER = "hz_data_publisher"
OFFICER = "zj_data_officer"
JOBS = [
    (
        'SELECT "所属区县" AS 区县, "行业", count(*) AS 企业数, round(sum("注册资本(万元)"), 0) AS 注册资本合计\n'
        "FROM data\nWHERE \"成立日期\" >= DATE '2010-01-01'\nGROUP BY 1, 2\nORDER BY 1, 2",
        "release",
    ),
    ('SELECT sum("注册资本(万元)") FROM data WHERE "企业名称" = \'{name}\'', None),
    ("SELECT * FROM data", None),
    (
        'SELECT "所属区县" AS 区县, "登记状态", count(*) AS 企业数\nFROM data\nGROUP BY 1, 2\nORDER BY 1, 2',
        None,
    ),
]


def _user(username: str):
    try:
        return account_services.user_by_username(username)
    except NotFound:
        return None


def _researcher():
    username, display, scope = RESEARCHER
    user = _user(username)
    if user is None:
        unit = account_selectors.org_unit_get(scope)
        user = account_services.user_create(
            actor=system_actor(),
            username=username,
            password=DEMO_PASSWORD,
            kind=UserKind.STAFF,
            org_unit=unit,
            display_name=display,
        )
        account_services.role_grant(actor=system_actor(), user=user, role="sandbox_researcher", org_unit=unit)
    return user


def seed(stdout=None) -> dict[str, int]:
    """Create the demo project and its jobs (idempotent); returns counts."""
    say = stdout.write if stdout else (lambda *_: None)
    owner, officer = _user(OWNER_APPROVER), _user(OFFICER)
    if owner is None or officer is None:
        say("sandbox demo: the catalogue demo's accounts are missing; run it first")
        return {"sandbox_projects": 0}
    researcher = _researcher()
    if Project.objects.filter(title=TITLE).exists():
        return {"sandbox_projects": Project.objects.count()}
    try:
        resource = catalog_selectors.resource_get(user=researcher, name_or_id=RESOURCE)
    except NotFound:
        say(f"sandbox demo: no dataset {RESOURCE}; skipped")
        return {"sandbox_projects": 0}
    today = timezone.localdate()
    project = services.project_apply(
        actor=researcher,
        title=TITLE,
        purpose="按区县和行业统计在册企业数量和注册资本，评估各区产业结构，为产业政策提供依据。",
        public_benefit="公开发布区县产业结构统计，服务营商环境评估。",
        legal_basis="《浙江省公共数据条例》第三十五条",
        datasets=[resource.name],
        starts_on=today,
        ends_on=today + dt.timedelta(days=180),
        people_trained=True,
    )
    services.project_approve_owner(actor=owner, project=project, note="同意在沙箱内使用。")
    services.project_approve(actor=officer, project=project, note="仅输出汇总结果。")
    dataset = project.datasets.get()
    sample_name = _first_enterprise_name()
    jobs = 0
    for sql, decision in JOBS:
        job = services.job_submit(
            actor=researcher,
            project=project,
            dataset_id=dataset.pk,
            sql=sql.format(name=sample_name),
            run_now=True,
        )
        jobs += 1
        if decision and job.status == "checked":
            services.output_review(
                actor=officer, job=job, decision=decision, note="已核对：仅含汇总，小单元格已隐藏。"
            )
    say(f"sandbox demo: project #{project.pk} with {jobs} jobs")
    return {"sandbox_projects": Project.objects.count(), "sandbox_jobs": jobs}


def _first_enterprise_name() -> str:
    """The name of the registry's first enterprise (the catalogue demo's generator is
    deterministic), for the demo query aimed at one real subject."""
    first = catalog_demo.enterprises(1).decode("utf-8").splitlines()[1]
    return first.split(",")[1]


def account_rows() -> list[tuple[str, str, str, str]]:
    username, _display, scope = RESEARCHER
    return [(username, "sandbox_researcher", scope, "sandbox project over the enterprise registry")]
