"""Fixtures of the sandbox tests: the enterprise registry published in the catalogue, its owner
department's publisher, the data security officer and a researcher with an approved project."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

ROWS = 600


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.CATALOG_UPLOAD_DIR = str(tmp_path / "uploads")
    settings.DATASTORE_DIR = str(tmp_path / "datastore")
    from zhengtong.datastore import storage

    storage.set_storage(None)
    yield
    storage.set_storage(None)


class Box:
    def __init__(self, world):
        from zhengtong.catalog import demo as catalog_demo
        from zhengtong.catalog import services as catalog

        self.world = world
        self.publisher = world.staff("sbx_publisher", "data_publisher", world.xihu, world.xihu_scjg)
        self.officer = world.staff("sbx_officer", "data_officer", world.xihu)
        self.researcher = world.staff("sbx_researcher", "sandbox_researcher", world.hangzhou)
        self.csv = catalog_demo.enterprises(ROWS)
        resource = catalog.resource_create(
            actor=self.publisher,
            department=world.xihu_scjg,
            name="enterprises",
            title="企业登记信息",
            description="演示企业登记数据。",
            domain="economy",
            keywords=["企业"],
            update_frequency="monthly",
            openness="unconditional",
        )
        job = catalog.load_start(
            actor=self.publisher,
            resource=resource,
            uploaded_file=SimpleUploadedFile("enterprises.csv", self.csv, content_type="text/csv"),
            mode="replace",
            run_now=True,
        )
        assert job.state == "succeeded", (job.message, job.errors)
        resource.refresh_from_db()
        catalog.field_grades_set(actor=self.publisher, resource=resource, changes={}, confirm_all=True)
        resource.refresh_from_db()
        catalog.resource_submit(actor=self.publisher, resource=resource)
        catalog.resource_approve(actor=self.officer, resource=resource)
        resource.refresh_from_db()
        self.resource = resource

    def apply(self, **kw):
        from zhengtong.sandbox import services

        today = timezone.localdate()
        args = {
            "actor": self.researcher,
            "title": "区县行业企业分布研究",
            "purpose": "按区县和行业统计企业数量和注册资本，支持产业政策评估。",
            "public_benefit": "为营商环境政策提供统计依据。",
            "datasets": ["enterprises"],
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=90),
            "people_trained": True,
            **kw,
        }
        return services.project_apply(**args)

    def approved(self, **kw):
        from zhengtong.sandbox import services

        project = self.apply(**kw)
        services.project_approve_owner(actor=self.publisher, project=project)
        services.project_approve(actor=self.officer, project=project)
        project.refresh_from_db()
        return project

    def dataset(self, project):
        return project.datasets.get().pk

    def rows(self):
        """The raw enterprise rows as dicts (the test's own reading of the CSV)."""
        import csv
        import io

        return list(csv.DictReader(io.StringIO(self.csv.decode("utf-8"))))


@pytest.fixture
def box(world):
    return Box(world)
