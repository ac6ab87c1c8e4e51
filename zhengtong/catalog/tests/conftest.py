"""Fixtures of the catalogue tests: publishers, a data security officer, and a loaded resource."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import shared_fixture

ENTERPRISE_CSV = (
    "统一社会信用代码,企业名称,法定代表人,法定代表人身份证号,联系电话,注册资本,成立日期\n"
    "91330106MA2XXXXX0A,杭州西湖茶叶有限公司,张三,330106198506150011,13912345678,100.5,2015-03-01\n"
    "91330106MA2XXXXX1B,杭州北山文化传媒有限公司,李四,330106199001010022,13812345679,50,2018-07-15\n"
    "91330106MA2XXXXX2C,杭州栖霞岭餐饮管理有限公司,王五,33010619800202003X,13712345670,30,2020-11-30\n"
)


def upload(text: str, name: str = "data.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture(autouse=True)
def _catalog_dirs(settings, tmp_path):
    settings.CATALOG_UPLOAD_DIR = str(tmp_path / "uploads")
    if hasattr(settings, "DATASTORE_DIR"):
        settings.DATASTORE_DIR = str(tmp_path / "datastore")
    from zhengtong.datastore import storage

    storage.set_storage(None)
    from django.core.cache import cache

    cache.clear()
    yield
    storage.set_storage(None)


class Cat:
    def __init__(self, world):
        self.world = world
        self.publisher = world.staff("xihu_publisher", "data_publisher", world.xihu, world.xihu_scjg)
        self.yiwu_publisher = world.staff("yiwu_publisher", "data_publisher", world.yiwu, world.yiwu_scjg)
        self.officer = world.staff("xihu_dso", "data_officer", world.xihu)

    def resource(self, name="enterprises", openness="unconditional", **kw):
        from zhengtong.catalog import services

        return services.resource_create(
            actor=self.publisher,
            department=self.world.xihu_scjg,
            name=name,
            title=kw.pop("title", "西湖区企业名录"),
            description=kw.pop("description", "西湖区登记在册的企业，含法定代表人信息。"),
            domain=kw.pop("domain", "economy"),
            keywords=kw.pop("keywords", ["企业", "市场主体"]),
            update_frequency="monthly",
            openness=openness,
            **kw,
        )

    def load(self, resource, text=ENTERPRISE_CSV, name="enterprises.csv", mode="replace", actor=None):
        from zhengtong.catalog import services

        return services.load_start(
            actor=actor or self.publisher, resource=resource, uploaded_file=upload(text, name), mode=mode
        )

    def published(self, name="enterprises", openness="unconditional", text=ENTERPRISE_CSV):
        from zhengtong.catalog import services

        resource = self.resource(name=name, openness=openness)
        job = self.load(resource, text=text)
        assert job.state == "succeeded", (job.message, job.errors)
        resource.refresh_from_db()
        services.field_grades_set(actor=self.publisher, resource=resource, changes={}, confirm_all=True)
        resource.refresh_from_db()
        services.resource_submit(actor=self.publisher, resource=resource)
        services.resource_approve(actor=self.officer, resource=resource)
        resource.refresh_from_db()
        return resource


@shared_fixture
def cat(world):
    return Cat(world)


__all__ = ["ENTERPRISE_CSV", "io", "upload"]
