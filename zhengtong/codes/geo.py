"""Counties of the demo province (Zhejiang) with approximate seats, and a schematic GeoJSON.

The polygons are NOT real boundaries: they are Voronoi cells around the county seats, clipped
to a hull around them, generated deterministically (``schematic_geojson``) and shipped as
``static/codes/zhejiang-schematic.geojson``.
"""

from __future__ import annotations

COUNTIES: list[tuple[str, str, float, float]] = [
    ("330102", "上城区", 120.17, 30.25),
    ("330105", "拱墅区", 120.14, 30.32),
    ("330106", "西湖区", 120.10, 30.24),
    ("330108", "滨江区", 120.21, 30.19),
    ("330109", "萧山区", 120.30, 30.12),
    ("330110", "余杭区", 120.30, 30.42),
    ("330111", "富阳区", 119.96, 30.05),
    ("330112", "临安区", 119.72, 30.23),
    ("330122", "桐庐县", 119.69, 29.80),
    ("330127", "淳安县", 119.04, 29.61),
    ("330182", "建德市", 119.28, 29.47),
    ("330203", "海曙区", 121.50, 29.87),
    ("330206", "北仑区", 121.84, 29.90),
    ("330212", "鄞州区", 121.60, 29.78),
    ("330226", "宁海县", 121.43, 29.29),
    ("330281", "余姚市", 121.15, 30.04),
    ("330282", "慈溪市", 121.27, 30.17),
    ("330302", "鹿城区", 120.65, 28.02),
    ("330327", "苍南县", 120.43, 27.52),
    ("330381", "瑞安市", 120.60, 27.78),
    ("330382", "乐清市", 120.98, 28.11),
    ("330402", "南湖区", 120.78, 30.75),
    ("330481", "海宁市", 120.68, 30.51),
    ("330483", "桐乡市", 120.57, 30.63),
    ("330502", "吴兴区", 120.10, 30.87),
    ("330521", "德清县", 119.97, 30.54),
    ("330523", "安吉县", 119.68, 30.64),
    ("330602", "越城区", 120.58, 30.00),
    ("330603", "柯桥区", 120.49, 30.08),
    ("330681", "诸暨市", 120.24, 29.71),
    ("330702", "婺城区", 119.65, 29.08),
    ("330782", "义乌市", 120.07, 29.31),
    ("330783", "东阳市", 120.24, 29.29),
    ("330784", "永康市", 120.03, 28.89),
    ("330802", "柯城区", 118.87, 28.94),
    ("330881", "江山市", 118.63, 28.74),
    ("330902", "定海区", 122.11, 30.02),
    ("331002", "椒江区", 121.44, 28.67),
    ("331081", "温岭市", 121.39, 28.37),
    ("331082", "临海市", 121.14, 28.86),
    ("331102", "莲都区", 119.92, 28.45),
    ("331121", "青田县", 120.29, 28.14),
    ("331127", "景宁县", 119.64, 27.98),
]
COUNTY_NAMES = {code: name for code, name, _x, _y in COUNTIES}


def schematic_geojson() -> dict:
    """Voronoi cells around the seats, clipped to a buffered hull, rounded to 3 decimals."""
    from shapely.geometry import MultiPoint, Point, mapping
    from shapely.ops import voronoi_diagram

    points = MultiPoint([(x, y) for _c, _n, x, y in COUNTIES])
    hull = points.convex_hull.buffer(0.25, join_style=2)
    cells = voronoi_diagram(points, envelope=hull.buffer(1.0))
    features = []
    for code, name, x, y in COUNTIES:
        seat = Point(x, y)
        cell = next(c for c in cells.geoms if c.contains(seat))
        shape = cell.intersection(hull).simplify(0.005)
        geometry = mapping(shape)

        def rnd(coords):
            return [[round(a, 3), round(b, 3)] for a, b in coords]

        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "code": code, "cp": [x, y]},
                "geometry": {"type": "Polygon", "coordinates": [rnd(geometry["coordinates"][0])]},
            }
        )
    return {"type": "FeatureCollection", "schematic": True, "features": features}
