from __future__ import annotations

import pytest

from zhengtong.audit.models import AuditEvent
from zhengtong.catalog import services
from zhengtong.catalog.models import LoadJob, ResourceVersion
from zhengtong.catalog.tests.conftest import ENTERPRISE_CSV, upload
from zhengtong.core.errors import PermissionDenied, ValidationError


def test_first_load_infers_schema_classifies_and_desensitizes(cat):
    resource = cat.resource()
    job = cat.load(resource)
    assert job.state == "succeeded", job.errors
    assert job.progress == 100
    assert job.row_count == 3
    assert len(job.file_sha256) == 64
    resource.refresh_from_db()
    version = resource.current_version
    assert version.number == 1 and version.row_count == 3
    fields = {f["name"]: f for f in version.fields}
    assert fields["法定代表人身份证号"]["classification"]["category"] == "resident_id"
    assert fields["法定代表人身份证号"]["grade"] == "L4"
    assert fields["法定代表人身份证号"]["policy"]["op"] == "mask"
    assert fields["联系电话"]["classification"]["category"] == "mobile"
    assert fields["法定代表人身份证号"]["public_grade"] == "L1"
    assert not any(f["confirmed"] for f in version.fields)
    # The public variant holds no raw identifier.
    from zhengtong.datastore import engine

    public = engine.query(version.table_key, version.store_version, "public", schema=version.schema, limit=10)
    text = repr(public.rows)
    assert "330106198506150011" not in text and "13912345678" not in text
    raw = engine.query(version.table_key, version.store_version, "raw", schema=version.schema, limit=10)
    assert "330106198506150011" in repr(raw.rows)
    assert AuditEvent.objects.filter(action="catalog.load.succeed").count() == 1


def test_load_with_row_errors_keeps_previous_version(cat):
    resource = cat.resource()
    assert cat.load(resource).state == "succeeded"
    resource.refresh_from_db()
    first = resource.current_version
    bad = (
        ENTERPRISE_CSV + "91330106MA2XXXXX3D,坏数据公司,赵六,330106198506150011,13912345678,很多,2020-13-45\n"
    )
    job = cat.load(resource, text=bad)
    assert job.state == "failed"
    rows = {(e["row"], e["field"]) for e in job.errors}
    assert (4, "注册资本") in rows
    assert all(e["rule"] for e in job.errors)
    resource.refresh_from_db()
    assert resource.current_version_id == first.pk
    assert ResourceVersion.objects.filter(resource=resource).count() == 1
    assert AuditEvent.objects.filter(action="catalog.load.fail").count() == 1


def test_load_with_wrong_columns_fails_naming_them(cat):
    resource = cat.resource()
    cat.load(resource)
    job = cat.load(resource, text="a,b\n1,2\n")
    assert job.state == "failed"
    assert {e["rule"] for e in job.errors} == {"missing_field", "unknown_field"}


def test_append_mode_adds_rows_as_new_version(cat):
    resource = cat.resource()
    cat.load(resource)
    more = (
        ENTERPRISE_CSV.splitlines()[0]
        + "\n"
        + "91330106MA2XXXXX9Z,新公司,钱七,330106199505050055,13612345671,10,2021-01-01\n"
    )
    job = cat.load(resource, text=more, mode="append")
    assert job.state == "succeeded", job.errors
    resource.refresh_from_db()
    assert resource.current_version.number == 2
    assert resource.current_version.row_count == 4


def test_append_needs_a_version(cat):
    from zhengtong.core.errors import ValidationError

    resource = cat.resource()
    with pytest.raises(ValidationError):
        cat.load(resource, mode="append")
    assert LoadJob.objects.count() == 0


def test_gbk_csv_is_read(cat):
    resource = cat.resource()
    job = services.load_start(
        actor=cat.publisher,
        resource=resource,
        uploaded_file=upload(ENTERPRISE_CSV, "gbk.csv", "gb18030"),
        mode="replace",
    )
    assert job.state == "succeeded", job.errors


def test_unsupported_file_type_is_refused(cat):
    from zhengtong.core.errors import ValidationError

    resource = cat.resource()
    with pytest.raises(ValidationError) as exc:
        services.load_start(actor=cat.publisher, resource=resource, uploaded_file=upload("x", "data.exe"))
    assert "file" in exc.value.fields


def test_load_denied_outside_department_changes_nothing(cat):
    resource = cat.resource()
    with pytest.raises(PermissionDenied):
        cat.load(resource, actor=cat.yiwu_publisher)
    assert LoadJob.objects.count() == 0
    resource.refresh_from_db()
    assert resource.current_version_id is None


def test_broken_file_fails_cleanly(cat):
    resource = cat.resource()
    job = cat.load(resource, text='a,b\n1,"unterminated\n2,3\n')
    assert job.state in ("failed", "succeeded")
    if job.state == "failed":
        assert job.message
        resource.refresh_from_db()
        assert resource.current_version_id is None


def test_xlsx_and_ndjson_uploads(cat):
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["站点", "数量"], ["文三路", 3], ["黄龙", 5]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    resource = cat.resource(name="xlsx-data")
    job = services.load_start(
        actor=cat.publisher, resource=resource, uploaded_file=SimpleUploadedFile("s.xlsx", buf.getvalue())
    )
    assert job.state == "succeeded", job.errors
    assert job.source_format == "xlsx" and job.row_count == 2
    other = cat.resource(name="ndjson-data")
    body = '{"站点": "文三路", "数量": 3}\n{"站点": "黄龙", "数量": 5}\n'.encode()
    job = services.load_start(
        actor=cat.publisher, resource=other, uploaded_file=SimpleUploadedFile("s.ndjson", body)
    )
    assert job.state == "succeeded", job.errors


def test_interrupted_load_is_failed_and_never_runs_twice(cat):
    import datetime as dt

    from django.utils import timezone

    resource = cat.resource()
    cat.load(resource)
    job = LoadJob.objects.get()
    assert services.load_run(job.pk).state == "succeeded"  # a retried task does nothing
    assert ResourceVersion.objects.count() == 1
    LoadJob.objects.filter(pk=job.pk).update(
        state="running", started_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert services.loads_recover_stale() == 1
    job.refresh_from_db()
    assert job.state == "failed" and "interrupted" in job.message


def test_retired_resource_takes_no_data(cat):
    from zhengtong.core.errors import Conflict

    resource = cat.published()
    services.resource_retire(actor=cat.publisher, resource=resource, note="停止更新")
    with pytest.raises(Conflict):
        cat.load(resource)


def test_spooled_upload_is_moved_not_copied(cat, settings):
    """A large upload Django spooled to a temporary file is hashed and moved into place."""
    import hashlib
    import os

    from django.core.files.uploadedfile import TemporaryUploadedFile

    data = ENTERPRISE_CSV.encode()
    spooled = TemporaryUploadedFile("big.csv", "text/csv", len(data), "utf-8")
    spooled.write(data)
    spooled.flush()
    temp_path = spooled.temporary_file_path()
    resource = cat.resource()
    job = services.load_start(actor=cat.publisher, resource=resource, uploaded_file=spooled)
    assert job.state == "succeeded", (job.message, job.errors)
    assert not os.path.exists(temp_path) and os.path.exists(job.file_path)
    assert job.file_sha256 == hashlib.sha256(data).hexdigest() and job.file_size == len(data)
    spooled.close()  # Django's own clean-up copes with the moved file
    settings.CATALOG_UPLOAD_MAX_BYTES = 10
    again = TemporaryUploadedFile("big.csv", "text/csv", len(data), "utf-8")
    again.write(data)
    again.flush()
    with pytest.raises(ValidationError):
        services.load_start(actor=cat.publisher, resource=resource, uploaded_file=again)
    again.close()
    assert resource.loads.count() == 1
