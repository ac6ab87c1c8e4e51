"""The workbench pages (Chinese and English) and the REST API."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from zhengtong.audit.models import AuditEvent
from zhengtong.sandbox import services
from zhengtong.sandbox.models import Job

BASE = "/api/v1/sandbox"
GROUP = 'SELECT "所属区县" AS d, count(*) AS n FROM data GROUP BY 1'


def _login(client, user, lang="zh-hans"):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang


def test_workbench_pages_in_chinese_and_english(box, client):
    project = box.approved()
    dataset = box.dataset(project)
    _login(client, box.researcher)
    page = client.get(f"/sandbox/{project.pk}/workbench/")
    text = page.content.decode()
    assert page.status_code == 200
    for words in ("工作台", "数据结构", "合成数据预览", "SQL 编辑器", "统一社会信用代码"):
        assert words in text
    # Trying SQL on the synthetic data shows rows and says what a job would do.
    page = client.post(
        f"/sandbox/{project.pk}/workbench/",
        {"dataset": dataset, "sql": "SELECT * FROM data LIMIT 2", "submit": "try"},
    )
    assert "作为作业，这条 SQL 会被拒绝" in page.content.decode()
    # Submitting a job goes to its page; the output waits for the data officer.
    page = client.post(
        f"/sandbox/{project.pk}/workbench/", {"dataset": dataset, "sql": GROUP, "submit": "job"}
    )
    job = Job.objects.get(project=project)
    assert page.status_code == 302 and page["Location"] == f"/sandbox/jobs/{job.pk}/"
    text = client.get(f"/sandbox/jobs/{job.pk}/").content.decode()
    assert "待输出审核" in text and "披露控制" in text and "下载 CSV" not in text
    assert client.get(f"/sandbox/jobs/{job.pk}/output.csv").status_code == 404
    _login(client, box.researcher, "en")
    text = client.get(f"/sandbox/{project.pk}/workbench/").content.decode()
    for words in ("Workbench", "Synthetic preview", "SQL editor", "Submit as a job on the raw data"):
        assert words in text
    text = client.get(f"/sandbox/{project.pk}/").content.decode()
    assert "Five Safes" in text and "Safe outputs" in text


def test_officer_checks_an_output_on_its_page(box, client):
    project = box.approved()
    job = services.job_submit(
        actor=box.researcher, project=project, dataset_id=box.dataset(project), sql=GROUP, run_now=True
    )
    _login(client, box.officer)
    assert f"/sandbox/jobs/{job.pk}/" in client.get("/sandbox/review/").content.decode()
    page = client.post(f"/sandbox/jobs/{job.pk}/", {"decision": "release", "note": "已核对"})
    assert page.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.RELEASED
    _login(client, box.researcher)
    assert "下载 CSV" in client.get(f"/sandbox/jobs/{job.pk}/").content.decode()


def test_other_staff_see_no_project(box, world, client):
    project = box.approved()
    _login(client, world.xihu_clerk)
    assert client.get(f"/sandbox/{project.pk}/").status_code == 404
    assert client.get(f"{BASE}/projects/{project.pk}").status_code == 404


def test_api_apply_approve_submit_review_download(box, client):
    today = dt.date.today()
    _login(client, box.researcher)
    response = client.post(
        f"{BASE}/projects",
        {
            "title": "API 项目",
            "purpose": "统计",
            "public_benefit": "政策评估",
            "datasets": ["enterprises"],
            "starts_on": today.isoformat(),
            "ends_on": (today + dt.timedelta(days=30)).isoformat(),
            "people_trained": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    project = response.json()
    assert project["state"] == "submitted" and project["datasets"][0]["name"] == "enterprises"
    pid, dataset = project["id"], project["datasets"][0]["id"]
    for user, action in ((box.publisher, "approve_owner"), (box.officer, "approve")):
        _login(client, user)
        response = client.post(
            f"{BASE}/projects/{pid}/transitions", {"action": action}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    _login(client, box.researcher)
    schema = client.get(f"{BASE}/projects/{pid}/datasets/{dataset}/schema").json()
    assert {f["name"] for f in schema if f["identifier"]} >= {"统一社会信用代码", "法定代表人身份证号"}
    preview = client.get(f"{BASE}/projects/{pid}/datasets/{dataset}/synthetic").json()
    assert len(preview["rows"]) == services.jobs.PREVIEW_ROWS
    refused = client.post(
        f"{BASE}/projects/{pid}/query",
        {"dataset": dataset, "sql": "ATTACH 'x.db'"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "sql" in refused.json()["error"]["details"]["fields"]
    assert AuditEvent.objects.filter(action="sandbox.query.refuse").count() == 1
    job = client.post(
        f"{BASE}/projects/{pid}/jobs",
        {"dataset": dataset, "sql": "SELECT * FROM data"},
        content_type="application/json",
    ).json()
    assert (job["status"], job["rule"], job["output"]) == ("refused", "exports_rows", None)
    job = client.post(
        f"{BASE}/projects/{pid}/jobs", {"dataset": dataset, "sql": GROUP}, content_type="application/json"
    ).json()
    assert job["status"] == "checked" and job["output"] is None  # the applicant waits for release
    assert client.get(f"{BASE}/jobs/{job['id']}/output.csv").status_code == 409
    _login(client, box.officer)
    seen = client.get(f"{BASE}/jobs/{job['id']}").json()
    assert seen["output"]["columns"] == ["d", "n"]
    reviewed = client.post(
        f"{BASE}/jobs/{job['id']}/review", {"decision": "release"}, content_type="application/json"
    ).json()
    assert reviewed["status"] == "released"
    _login(client, box.researcher)
    assert client.get(f"{BASE}/jobs/{job['id']}").json()["output"] == seen["output"]
    csv = client.get(f"{BASE}/jobs/{job['id']}/output.csv")
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").startswith("d,n")
