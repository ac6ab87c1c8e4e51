"""Demo data of the use side: data requests in each outcome, a campaign and a reuse linked to two
datasets, an error report, a rating and a message, and every published dataset's quality score.
Idempotent: each demo object is recognised by its title and made once."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.accounts import selectors as account_selectors
from zhengtong.catalog import selectors as catalog_selectors
from zhengtong.datause import services
from zhengtong.datause.models import Campaign, Comment, DataRequest, ErrorReport, Rating, Reuse

# title, department (unit, code), outcome or "", dataset named in the answer
REQUESTS = [
    ("杭州市公共停车场实时泊位数据", ("330100", "jtys"), "scheduled", None),
    ("杭州市公交站点及线路数据", ("330100", "jtys"), "existing", "hz-bus-stops"),
    ("杭州市新设立企业名单（按月）", ("330100", "scjg"), "", None),
]


def _dataset(name: str):
    return catalog_selectors.published_resources().filter(name=name).first()


def seed(stdout=None) -> dict[str, int]:
    say = stdout.write if stdout else (lambda *_: None)
    user = account_selectors.user_with_username("data_user")
    publisher = account_selectors.user_with_username("hz_data_publisher")
    officer = account_selectors.user_with_username("zj_data_officer")
    if user is None or publisher is None or officer is None:
        say("datause demo: the catalogue demo's accounts are missing; run it first")
        return {"data_requests": 0}
    for title, (unit, code), outcome, dataset in REQUESTS:
        department = account_selectors.department_by_code(unit, code)
        if department is None or DataRequest.objects.filter(title=title).exists():
            continue
        request = services.request_submit(
            actor=user,
            title=title,
            description=f"希望开放{title}，用于出行与营商环境研究。",
            purpose="研究与应用开发",
            department=department,
            format="api" if "实时" in title else "table",
            frequency="daily",
        )
        if outcome == "scheduled":
            services.request_answer(
                actor=publisher,
                request=request,
                outcome=outcome,
                answer="已纳入下季度开放计划。",
                planned_on=timezone.localdate() + dt.timedelta(days=60),
            )
        elif outcome == "existing" and _dataset(dataset) is not None:
            services.request_answer(
                actor=publisher,
                request=request,
                outcome=outcome,
                answer="该数据已开放，请查看。",
                resource=dataset,
            )
    air, stops, firms = (
        _dataset("hz-air-quality-hourly"),
        _dataset("hz-bus-stops"),
        _dataset("hz-enterprise-registry"),
    )
    province = account_selectors.org_unit_by_code("330000")
    if province is not None and not Campaign.objects.exists():
        services.campaign_create(
            actor=officer,
            org_unit=province,
            title="浙江省开放数据创新应用大赛",
            description="用开放数据解决出行、环境和营商环境中的实际问题。",
            themes=["绿色出行", "营商环境"],
            deadline=timezone.localdate() + dt.timedelta(days=45),
        )
    if air is not None and stops is not None and not Reuse.objects.exists():
        reuse = services.reuse_submit(
            actor=user,
            title="绿色出行地图",
            kind="app",
            url="https://example.org/green-travel",
            description="把公交站点与空气质量放在一张地图上，帮助市民选择出行时间和线路。",
            datasets=[air, stops],
            campaign=Campaign.objects.first(),
            theme="绿色出行",
        )
        services.reuse_publish(actor=officer, reuse=reuse)
    if firms is not None and not ErrorReport.objects.exists():
        services.error_report_file(
            actor=user,
            resource=firms,
            description="部分企业的成立日期晚于数据截止日期。",
            location="成立日期",
        )
    if stops is not None and not Rating.objects.exists():
        services.rating_set(actor=user, resource=stops, stars=4, reason="字段清楚，坐标准确。")
        services.comment_post(actor=user, resource=stops, body="能否增加站点的无障碍设施信息？")
    scan = services.status_scan()
    say(f"datause demo: {DataRequest.objects.count()} requests, {Reuse.objects.count()} reuses, {scan}")
    return {
        "data_requests": DataRequest.objects.count(),
        "reuses": Reuse.objects.count(),
        "error_reports": ErrorReport.objects.count(),
        "comments": Comment.objects.count(),
        "scored_datasets": scan["scanned"],
    }
