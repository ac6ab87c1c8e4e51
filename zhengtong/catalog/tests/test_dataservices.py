"""The catalogue of APIs: publishers catalogue them for their department, the public reads them,
the worker checks their availability."""

from __future__ import annotations

import pytest
import requests

from zhengtong.catalog import services
from zhengtong.catalog.models import DataService
from zhengtong.core.errors import PermissionDenied, ValidationError


@pytest.fixture
def cat(world):
    from zhengtong.catalog.tests.conftest import Cat

    return Cat(world)


def _create(cat, world, **kw):
    actor = kw.pop("actor", cat.publisher)
    data = {
        "name": "enterprise-lookup",
        "title": "企业信息核验接口",
        "base_url": "https://api.example.gov.cn/enterprise",
        "openapi_url": "https://api.example.gov.cn/enterprise/openapi.json",
        "access": "application",
        "conditions": "限政务和金融机构，经申请后使用。",
        "rate_limit": "600 次/分钟",
    }
    data.update(kw)
    return services.dataservice_create(actor=actor, department=world.xihu_scjg, **data)


def test_a_publisher_catalogues_an_api_linked_to_a_dataset_and_the_public_reads_it(cat, world, client):
    resource = cat.published()
    service = _create(cat, world, datasets=[resource.name])
    assert [d.name for d in service.datasets.all()] == [resource.name]
    listing = client.get("/opendata/apis/").content.decode()
    assert "企业信息核验接口" in listing
    page = client.get(f"/opendata/apis/{service.name}/").content.decode()
    assert "600 次/分钟" in page and "openapi.json" in page and resource.title in page


def test_only_the_departments_publishers_catalogue_its_apis_and_input_is_checked(cat, world):
    with pytest.raises(PermissionDenied):
        _create(cat, world, actor=cat.yiwu_publisher)
    for change, field in (
        ({"base_url": "ftp://x"}, "base_url"),
        ({"access": "free"}, "access"),
        ({"datasets": ["no-such"]}, "datasets"),
        ({"name": "X"}, "name"),
    ):
        with pytest.raises(ValidationError) as exc:
            _create(cat, world, **change)
        assert field in exc.value.fields
    assert not DataService.objects.exists()


class _Answers:
    def __init__(self, status):
        self.status = status

    def get(self, url, **kw):
        if self.status is None:
            raise requests.ConnectionError("refused")

        class R:
            status_code = self.status

        return R()


@pytest.mark.parametrize(("status", "available"), [(200, True), (401, True), (503, False), (None, False)])
def test_availability_check(cat, world, status, available):
    service = _create(cat, world)
    assert services.dataservices_check(session=_Answers(status)) == 1
    service.refresh_from_db()
    assert service.available is available and service.checked_at is not None
