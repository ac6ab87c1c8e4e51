"""Grid fixtures: the shared world plus grid cells, categories, departments and grid staff."""

from __future__ import annotations

import pytest

from conftest import shared_fixture

BEISHAN_GRID_1 = "330106002001001"
BEISHAN_GRID_2 = "330106002001002"
YIWU_GRID = "330782002001001"
# Cell squares (lng, lat): Beishan cells side by side, Yiwu far away.
CELL_1 = (120.140, 30.260)
CELL_2 = (120.143, 30.260)
CELL_Y = (120.070, 29.310)
SIZE = 0.003


def square(lng: float, lat: float, size: float = SIZE) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


def inside(cell: tuple[float, float]) -> tuple[float, float]:
    """(lat, lng) of a point well inside a cell."""
    return cell[1] + SIZE / 2, cell[0] + SIZE / 2


class GridWorld:
    def __init__(self, world):
        from zhengtong.accounts import services as acc
        from zhengtong.grid import geo, services
        from zhengtong.grid.categories import categories_ensure
        from zhengtong.grid.models import GridCell
        from zhengtong.grid.open311 import forget_categories

        self.w = world
        categories_ensure()
        system = world.system
        township = acc.org_unit_create(
            actor=None, code="330782002", name="江东街道", level="township", parent=world.yiwu
        )
        acc.org_unit_create(
            actor=None, code="330782002001", name="江东社区", level="village", parent=township
        )
        self.yiwu_township = township
        services.cells_import(
            actor=system,
            collection={
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": BEISHAN_GRID_1, "name": "栖霞岭第一网格"},
                        "geometry": square(*CELL_1),
                    },
                    {
                        "type": "Feature",
                        "properties": {"code": BEISHAN_GRID_2, "name": "栖霞岭第二网格"},
                        "geometry": square(*CELL_2),
                    },
                    {
                        "type": "Feature",
                        "properties": {"code": YIWU_GRID, "name": "江东第一网格"},
                        "geometry": square(*CELL_Y),
                    },
                ],
            },
        )
        geo.invalidate()
        forget_categories()
        self.cell1 = GridCell.objects.get(code=BEISHAN_GRID_1)
        self.cell2 = GridCell.objects.get(code=BEISHAN_GRID_2)
        self.cell_y = GridCell.objects.get(code=YIWU_GRID)
        self.depts = {}
        for code, name, kind in [
            ("zhzf", "西湖区综合行政执法局", "law_enforcement"),
            ("zjj", "西湖区住房和城乡建设局", "housing"),
            ("sfj", "西湖区司法局", "justice"),
        ]:
            self.depts[code] = acc.department_create(
                actor=system, org_unit=world.xihu, code=code, name=name, kind=kind
            )
        self.zhs = acc.department_create(
            actor=system,
            org_unit=world.beishan,
            code="zhs",
            name="北山街道综合信息指挥室",
            kind="command_room",
        )
        self.worker = self._user("gw1", kind="grid_worker", unit=self.cell1.org_unit)
        services.cell_assign(actor=system, cell=self.cell1, worker=self.worker)
        self.worker2 = self._user("gw2", kind="grid_worker", unit=self.cell2.org_unit)
        services.cell_assign(actor=system, cell=self.cell2, worker=self.worker2)
        self.yiwu_worker = self._user("gwy", kind="grid_worker", unit=self.cell_y.org_unit)
        services.cell_assign(actor=system, cell=self.cell_y, worker=self.yiwu_worker)
        self.command = world.staff("beishan_cmd", "command_staff", world.beishan, self.zhs)
        self.county_command = world.staff("xihu_cmd", "command_staff", world.xihu)
        self.handler = world.staff("zhzf_handler", "grid_handler", world.xihu, self.depts["zhzf"])
        self.zjj_handler = world.staff("zjj_handler", "grid_handler", world.xihu, self.depts["zjj"])
        self.yiwu_command = world.staff("yiwu_cmd", "command_staff", world.yiwu)

    def _user(self, username, kind="staff", unit=None):
        from conftest import PASSWORD

        return self.w.acc.user_create(
            actor=self.w.system, username=username, password=PASSWORD, kind=kind, org_unit=unit
        )

    def report(self, *, actor=None, category="E0101", cell=CELL_1, description="路边有暴露垃圾", **kw):
        from zhengtong.grid import services

        lat, lng = inside(cell)
        lat, lng = kw.pop("at", (lat, lng))
        return services.incident_report(
            actor=actor or self.worker, category=category, lat=lat, lng=lng, description=description, **kw
        )


@pytest.fixture(autouse=True)
def _photos_in_tmp(settings, tmp_path):
    """Photos (and the statistics file) go to a temporary VAR_DIR, not the real one."""
    settings.VAR_DIR = tmp_path


@shared_fixture
def grid(world):
    return GridWorld(world)
