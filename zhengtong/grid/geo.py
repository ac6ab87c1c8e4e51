"""Point-in-polygon: which grid cell (and so village, township, county) holds a location.

A process-level index over every cell: a shapely 2 STRtree of the polygons. A single point is
answered by one tree query; many points at once by one vectorised bulk query (``locate_many``).
The index lives in ``core.cache`` (namespace ``grid.cell_index``, kept in the process because
an STRtree cannot be pickled): every change of the cells goes through ``cells_import``, which
calls ``invalidate()``; the process that changed them rebuilds at once, the others within
``CACHE_LOCAL_REVALIDATE_SECONDS``. ``INDEX_SECONDS`` bounds its age in any case.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import STRtree

from zhengtong.accounts import selectors as account_selectors
from zhengtong.accounts.permissions import subtree_q
from zhengtong.core import cache
from zhengtong.grid.models import GridCell


@dataclass(frozen=True)
class Location:
    cell_id: int
    cell_code: str
    cell_name: str
    grid_unit_id: int
    village_id: int | None
    village_name: str
    township_id: int
    township_name: str
    county_id: int
    county_name: str

    def as_dict(self) -> dict:
        return {
            "grid": {"id": self.cell_id, "code": self.cell_code, "name": self.cell_name},
            "village": {"id": self.village_id, "name": self.village_name},
            "township": {"id": self.township_id, "name": self.township_name},
            "county": {"id": self.county_id, "name": self.county_name},
        }


class CellIndex:
    def __init__(self, rows: list[tuple], units: dict[str, tuple[int, str]]):
        # rows: (cell_id, code, name, org_unit_id, org_path, geojson)
        self.locations: list[Location] = []
        geoms = []
        for cell_id, code, name, unit_id, path, geometry in rows:
            codes = path.strip("/").split("/")
            village = units.get(codes[-2]) if len(codes) >= 2 else None
            township = units.get(codes[-3]) if len(codes) >= 3 else None
            county = units.get(codes[-4]) if len(codes) >= 4 else None
            if township is None or county is None:
                continue
            geoms.append(shapely.from_geojson(geometry))
            self.locations.append(
                Location(
                    cell_id,
                    code,
                    name,
                    unit_id,
                    village[0] if village else None,
                    village[1] if village else "",
                    township[0],
                    township[1],
                    county[0],
                    county[1],
                )
            )
        self.geoms = np.array(geoms, dtype=object)
        shapely.prepare(self.geoms)
        self.tree = STRtree(self.geoms) if geoms else None

    def __len__(self) -> int:
        return len(self.locations)

    def locate(self, lng: float, lat: float) -> Location | None:
        if self.tree is None:
            return None
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return self.locations[int(hits.min())]

    def locate_many(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Index into ``locations`` for each point, -1 where no cell holds it (vectorised)."""
        out = np.full(len(lngs), -1, dtype=np.int64)
        if self.tree is None or len(lngs) == 0:
            return out
        points = shapely.points(np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        pairs = self.tree.query(points, predicate="intersects")
        if pairs.shape[1]:
            # On a shared edge a point touches two cells: keep the first cell, as locate() does.
            order = np.lexsort((pairs[1], pairs[0]))
            pts, cells = pairs[0][order], pairs[1][order]
            first = np.ones(len(pts), dtype=bool)
            first[1:] = pts[1:] != pts[:-1]
            out[pts[first]] = cells[first]
        return out


CELL_INDEX = "grid.cell_index"
INDEX_SECONDS = 3600
# Grid org units by id (code, path: what an incident row and its audit event need), so a POST
# does not read its grid's org unit every time; dropped when any org unit is saved or deleted
# (signal in wiring.py) or cells change.
GRID_UNITS = "grid.units"
UNIT_SECONDS = 30


def _build() -> CellIndex:
    rows = list(
        GridCell.objects.order_by("code").values_list(
            "id", "code", "name", "org_unit_id", "org_unit__path", "geometry"
        )
    )
    codes = {c for row in rows for c in row[4].strip("/").split("/")}
    units = {
        code: (pk, name)
        for pk, code, name in account_selectors.org_units_with_codes(codes).values_list("id", "code", "name")
    }
    return CellIndex(rows, units)


def index() -> CellIndex:
    """The cell index, built once per process and rebuilt after the cells change."""
    return cache.cached(CELL_INDEX, "all", _build, INDEX_SECONDS, local=True, shared=False)


def invalidate() -> None:
    """The cells changed: every process rebuilds its index (and forgets grid units)."""
    cache.invalidate(CELL_INDEX)
    forget_units()


def grid_unit(pk: int):
    """The OrgUnit ``pk`` (a shared, read-only instance: do not modify it)."""
    unit = cache.cached(
        GRID_UNITS, str(pk), lambda: account_selectors.org_unit_by_id(pk), UNIT_SECONDS, local=True
    )
    if unit is None:
        raise LookupError(f"no org unit {pk}")
    return unit


def forget_units(**_kwargs) -> None:
    cache.invalidate(GRID_UNITS)


def locate(lng: float, lat: float) -> Location | None:
    return index().locate(lng, lat)


def geocode(text: str, *, within=None) -> tuple[float, float] | None:
    """A location (lng, lat) for an address or a description without coordinates: the cell
    whose (grid or village) name the text mentions; its representative point. No external
    geocoder is called. ``within``: only cells under this org unit. Used by Open311 and by
    complaints that become incidents."""
    if not text:
        return None
    cells = GridCell.objects.select_related("org_unit__parent").order_by("-code")
    if within is not None:
        cells = cells.filter(subtree_q(within.path, "org_unit__path"))
    for cell in cells[:20000]:
        village = cell.org_unit.parent.name if cell.org_unit.parent_id else ""
        if cell.name in text or (village and village in text):
            point = shapely.from_geojson(cell.geometry).representative_point()
            return point.x, point.y
    return None


def cell_point(code: str) -> tuple[float, float] | None:
    """The representative point (lng, lat) of the grid cell with this code (Open311's
    address_id), None when there is none."""
    cell = GridCell.objects.filter(code=code).only("geometry").first() if code else None
    if cell is None:
        return None
    point = shapely.from_geojson(cell.geometry).representative_point()
    return point.x, point.y


EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def degree_box(lat: float, lng: float, metres: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) around a point: a database prefilter for a radius."""
    dlat = metres / 111_320.0
    dlng = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def area_m2(geom) -> float:
    """Approximate area of a lon/lat polygon in square metres (local equirectangular scale)."""
    lat = geom.centroid.y
    return float(geom.area * 111_320.0 * 111_320.0 * math.cos(math.radians(lat)))


def parse_geometry(value) -> shapely.Geometry:
    """A Polygon or MultiPolygon from GeoJSON (dict or text); raises ValueError naming the problem."""
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("geometry must be a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shapely.from_geojson(json.dumps(value))
    except Exception as exc:  # shapely raises GEOSException with a technical message
        raise ValueError(f"geometry cannot be read ({exc})") from None
    if geom.is_empty:
        raise ValueError("geometry is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValueError("coordinates must be WGS-84 longitude/latitude")
    if not geom.is_valid:
        raise ValueError(f"geometry is not valid ({shapely.is_valid_reason(geom)})")
    return geom
