import json

import numpy as np
import pytest

from zhengtong.core.errors import ValidationError
from zhengtong.grid import geo, services
from zhengtong.grid.models import GridCell
from zhengtong.grid.tests.conftest import BEISHAN_GRID_1, CELL_1, CELL_2, CELL_Y, inside, square


def test_locate_returns_grid_village_township_county(grid):
    lat, lng = inside(CELL_1)
    where = geo.locate(lng, lat)
    assert where.cell_code == BEISHAN_GRID_1
    assert where.village_name == "栖霞岭社区"
    assert where.township_id == grid.w.beishan.pk
    assert where.county_id == grid.w.xihu.pk
    lat, lng = inside(CELL_Y)
    assert geo.locate(lng, lat).township_id == grid.yiwu_township.pk
    assert geo.locate(0.0, 0.0) is None


def test_shared_edge_goes_to_the_first_cell(grid):
    # x = CELL_2[0] is the edge between cell 1 and cell 2.
    where = geo.locate(CELL_2[0], CELL_1[1] + 0.001)
    assert where.cell_code == BEISHAN_GRID_1


def test_locate_many_is_vectorised_and_agrees_with_locate(grid):
    idx = geo.index()
    lats = np.array([inside(CELL_1)[0], inside(CELL_2)[0], 10.0, inside(CELL_Y)[0]])
    lngs = np.array([inside(CELL_1)[1], inside(CELL_2)[1], 10.0, inside(CELL_Y)[1]])
    got = idx.locate_many(lngs, lats)
    codes = [idx.locations[i].cell_code if i >= 0 else None for i in got]
    assert codes == ["330106002001001", "330106002001002", None, "330782002001001"]


def test_index_is_rebuilt_when_cells_change(grid):
    before = len(geo.index())
    services.cells_import(
        actor=grid.w.system,
        collection={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001003", "name": "第三网格"},
                    "geometry": square(120.146, 30.260),
                }
            ],
        },
    )
    geo.invalidate()  # on_commit does this in production; the test transaction never commits
    assert len(geo.index()) == before + 1
    assert geo.locate(120.1475, 30.2615).cell_code == "330106002001003"


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def test_import_is_all_or_nothing_and_names_the_feature(grid):
    count = GridCell.objects.count()
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[120.2, 30.2], [120.21, 30.21], [120.21, 30.2], [120.2, 30.21], [120.2, 30.2]]],
    }
    with pytest.raises(ValidationError) as err:
        services.cells_import(
            actor=grid.w.system,
            collection=_fc(
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001004", "name": "好的"},
                    "geometry": square(120.2, 30.3),
                },
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001005", "name": "坏的"},
                    "geometry": bowtie,
                },
                {
                    "type": "Feature",
                    "properties": {"code": "12", "name": "x"},
                    "geometry": square(120.3, 30.3),
                },
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001006", "name": "远"},
                    "geometry": square(500, 30.3),
                },
                {
                    "type": "Feature",
                    "properties": {"code": "999999999999001", "name": "无村"},
                    "geometry": square(120.4, 30.3),
                },
            ),
        )
    problems = err.value.fields["file"]
    assert problems[0].startswith("feature 2 (330106002001005): geometry is not valid")
    assert problems[1] == "feature 3 (12): properties.code must be a 15-digit grid code"
    assert "WGS-84" in problems[2]
    assert "no village or community with code 999999999999" in problems[3]
    assert GridCell.objects.count() == count  # nothing imported, not even the good one


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"{not json", "not valid JSON"),
        (json.dumps({"type": "Feature"}), "must be a GeoJSON FeatureCollection"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "no features"),
    ],
)
def test_import_rejects_bad_files(grid, payload, message):
    with pytest.raises(ValidationError) as err:
        services.cells_import(actor=grid.w.system, collection=payload)
    assert message in err.value.message


def test_import_needs_grid_manage_and_changes_nothing(grid):
    count = GridCell.objects.count()
    with pytest.raises(Exception) as err:
        services.cells_import(
            actor=grid.worker,
            collection=_fc(
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001007", "name": "x"},
                    "geometry": square(120.2, 30.3),
                }
            ),
        )
    assert err.value.__class__.__name__ == "PermissionDenied"
    assert GridCell.objects.count() == count


def test_distance_and_box():
    assert round(geo.distance_m(30.0, 120.0, 30.0, 120.001)) == 96
    lat0, lat1, lng0, lng1 = geo.degree_box(30.0, 120.0, 100)
    assert lat0 < 30.0 < lat1 and lng0 < 120.0 < lng1


def test_import_command(grid, tmp_path):
    from django.core.management import CommandError, call_command

    good = tmp_path / "cells.geojson"
    good.write_text(
        json.dumps(
            _fc(
                {
                    "type": "Feature",
                    "properties": {"code": "330106002001009", "name": "九"},
                    "geometry": square(120.3, 30.3),
                }
            )
        )
    )
    call_command("grid_import_cells", str(good))
    assert GridCell.objects.filter(code="330106002001009").exists()
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"properties": {}}]}')
    with pytest.raises(CommandError):
        call_command("grid_import_cells", str(bad))
