"""Bad input end to end, through every real upload path (console form, API, catalog_load command)
and the catalogue's query API: each bad file ends in a failed load job whose errors name the
row, column and rule, and no new version is made; bad queries get a 4xx naming the problem."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from zhengtong.catalog.models import LoadJob, ResourceVersion
from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"
HEADER = ENTERPRISE_CSV.splitlines()[0]
ROWS = ENTERPRISE_CSV.splitlines()[1:]


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


# (name, file name, bytes, expected rule, expected row (None: any), expected column (None: any))
CASES = {
    "ragged_row": ("e.csv", _csv(HEADER, ROWS[0], "a,b,c", ROWS[2]), "ragged_row", 2, None),
    "broken_quoting": ("e.csv", _csv(HEADER, ROWS[0], '"unterminated,' + ROWS[1]), "quoting", None, None),
    "undetectable_encoding": ("e.csv", b"a,b\n\x00\x01\x02,\xff\xfe\n", "encoding", None, None),
    "type_violation": (
        "e.csv",
        _csv(HEADER, ROWS[0], ROWS[1].replace(",50,", ",fifty,")),
        "type",
        2,
        "注册资本",
    ),
    "huge_cell": (
        "e.csv",
        _csv(HEADER, ROWS[0].replace("张三", "x" * (3 << 20))),
        "max_cell_bytes",
        1,
        "法定代表人",
    ),
    "xlsx_zip_bomb": ("e.xlsx", _zip_bomb(), "zip_bomb", None, None),
}


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


def _via_form(client, cat, resource, name, data):
    login(client, cat.publisher)
    response = client.post(
        reverse("catalog:upload", args=[resource.name]),
        {"file": SimpleUploadedFile(name, data), "mode": "replace"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content[:300]
    return LoadJob.objects.latest("pk"), response.content.decode()


def _via_api(client, cat, resource, name, data):
    login(client, cat.publisher)
    response = client.post(
        f"{BASE}/resources/{resource.name}/loads", {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 202, response.content[:300]
    body = response.json()
    assert body["state"] == "failed"
    return LoadJob.objects.get(pk=body["id"]), json.dumps(body, ensure_ascii=False)


def _via_command(client, cat, resource, name, data, tmp_path):
    path = tmp_path / name
    path.write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("catalog_load", resource.name, str(path), stderr=err)
    return LoadJob.objects.latest("pk"), str(info.value) + err.getvalue()


@pytest.fixture
def loaded(cat, settings):
    settings.DATASTORE_MAX_CELL_BYTES = 1024  # so a 3 MB cell stands for the 100 MB one (tested below)
    resource = cat.resource()
    job = cat.load(resource)
    assert job.state == "succeeded"
    resource.refresh_from_db()
    return resource


@pytest.mark.parametrize("path", ["form", "api", "command"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_fails_naming_row_column_rule_and_makes_no_version(
    client, cat, loaded, tmp_path, path, case
):
    name, data, rule, row, column = CASES[case]
    before = (loaded.current_version_id, ResourceVersion.objects.count())
    if path == "form":
        job, text = _via_form(client, cat, loaded, name, data)
    elif path == "api":
        job, text = _via_api(client, cat, loaded, name, data)
    else:
        job, text = _via_command(client, cat, loaded, name, data, tmp_path)
    assert job.state == "failed" and job.message
    assert job.errors, job.message
    first = job.errors[0]
    assert first["rule"] == rule, job.errors[:3]
    if row is not None:
        assert first["row"] == row, job.errors[:3]
    if column is not None:
        assert first["field"] == column, job.errors[:3]
    assert rule in text  # the user sees the rule on that path
    loaded.refresh_from_db()
    assert (loaded.current_version_id, ResourceVersion.objects.count()) == before


def test_100_mb_cell_through_the_command(cat, tmp_path):
    resource = cat.resource()
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.write(b"a,b\n1,")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write(b"\n")
    with pytest.raises(CommandError):
        call_command("catalog_load", resource.name, str(path), stderr=io.StringIO())
    job = LoadJob.objects.get()
    assert job.state == "failed" and job.errors[0]["rule"] == "max_cell_bytes"
    assert job.errors[0]["row"] == 1 and job.errors[0]["field"] == "b"
    assert ResourceVersion.objects.count() == 0


def test_formula_cells_load_as_text_and_exports_neutralize(client, cat):
    from zhengtong.catalog import services

    data = "名称,备注\n甲,=HYPERLINK(1)\n乙,+1+1\n丙,-2+3\n丁,@SUM(A1)\n".encode()
    resource = cat.resource(name="formulas")
    job = services.load_start(
        actor=cat.publisher, resource=resource, uploaded_file=SimpleUploadedFile("f.csv", data)
    )
    assert job.state == "succeeded", (job.message, job.errors)
    resource.refresh_from_db()
    services.field_grades_set(actor=cat.publisher, resource=resource, changes={}, confirm_all=True)
    services.resource_submit(actor=cat.publisher, resource=resource)
    services.resource_approve(actor=cat.officer, resource=resource)
    csv_outputs = [
        client.get(reverse("catalog:download", args=["formulas", "csv"])),
        client.get("/data/formulas.csv"),
        client.get("/api/3/action/datastore_search", {"resource_id": "formulas", "records_format": "csv"}),
    ]
    for response in csv_outputs:
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8-sig")
        if text.lstrip().startswith("{"):
            text = json.loads(text)["result"]["records"]
        for cell in ("=HYPERLINK", "+1+1", "-2+3", "@SUM"):
            assert cell in text
            for line in text.splitlines():
                assert not line.split(",")[-1].strip('"').startswith(cell), line
    response = client.get(reverse("catalog:download", args=["formulas", "xlsx"]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    values = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values and all(not str(v).startswith(("=", "+", "-", "@")) for v in values), values


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"sort": "title; DROP TABLE catalog_dataresource"}, "sort"),
        ({"limit": "100000"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"cursor": "' OR 1=1 --"}, "cursor"),
        ({"domain": "economy' OR '1'='1"}, "domain"),
        ({"grade": "L9"}, "grade"),
    ],
)
def test_catalogue_search_rejects_bad_parameters(client, cat, params, needle):
    cat.published()
    response = client.get(f"{BASE}/resources", params)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert needle in response.content.decode()


def test_catalogue_search_q_is_text_not_sql(client, cat):
    cat.published()
    for q in ("' OR 1=1 --", "%", "_", "企业'; DROP TABLE catalog_dataresource; --"):
        response = client.get(f"{BASE}/resources", {"q": q})
        assert response.status_code == 200
        assert response.json()["total"] == 0, q
    assert client.get(f"{BASE}/resources", {"q": "企业"}).json()["total"] == 1
