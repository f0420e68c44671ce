"""Import throughput: a generated county of 10,000 grid polygons (plus its towns and communities).

    .venv/bin/python bench/import_bench.py [--format shp|geojson|gpkg] [--side 100] [--srid 4549]

The grids are a 100 × 100 lattice with jittered shared corners and subdivided edges (21 vertices
each), under 10 towns × 10 communities; written in a temp dir as a GBK shapefile without .cpg in
the CGCS2000 Gauss-Krüger zone EPSG:4549 by default (the hard case: reprojection + decoding).
Runs against a throwaway database (bench_gridgov_import), created and dropped here. Prints the
seconds and features/s of the first import, of a re-import (must change nothing) and of an
import where every boundary changed (new versions).
"""
import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["GRIDGOV_TEST_DB"] = os.environ.get("GRIDGOV_BENCH_DB", "bench_gridgov_import")
from _common import setup_django  # noqa: E402

setup_django()

import shapely  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

COUNTY = "320831"
X0, Y0, CELL = 118.9, 32.9, 0.002  # ~190 m × 220 m grids


def lattice(side, seed, shift=0.0):
    rnd = random.Random(seed)
    jitter = CELL * 0.2
    corners = [[(X0 + i * CELL + (rnd.uniform(-jitter, jitter) if 0 < i < side else 0) + shift,
                 Y0 + j * CELL + (rnd.uniform(-jitter, jitter) if 0 < j < side else 0))
                for j in range(side + 1)] for i in range(side + 1)]

    def edge(a, b, n=5):
        return [(a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n) for k in range(n)]

    cells = {}
    for i in range(side):
        for j in range(side):
            c = [corners[i][j], corners[i + 1][j], corners[i + 1][j + 1], corners[i][j + 1]]
            ring = edge(c[0], c[1]) + edge(c[1], c[2]) + edge(c[2], c[3]) + edge(c[3], c[0]) + [c[0]]
            cells[(i, j)] = shapely.Polygon(ring)
    return cells


def county_features(side=100, seed=3, shift=0.0):
    """Towns are 10 column bands, communities 10 row bands within them; grids numbered W→E, N→S."""
    cells = lattice(side, seed, shift)
    band = side // 10
    feats, towns, communities = [], {}, {}
    for (i, j), poly in cells.items():
        town = COUNTY + f"{101 + i // band:03d}"
        community = town + f"{1 + j // band:03d}"
        number = (band - 1 - j % band) * band + i % band + 1
        code = community + f"{number:03d}"
        feats.append((code, f"{community[-3:]}村第{number}网格", poly))
        towns.setdefault(town, []).append(poly)
        communities.setdefault(community, []).append(poly)
    for code, polys in list(towns.items()) + list(communities.items()):
        label = f"第{int(code[-3:])}{'镇' if len(code) == 9 else '村'}"
        feats.append((code, label, shapely.coverage_union_all(polys)))
    feats.append((COUNTY, "金湖县（模拟）", shapely.coverage_union_all(list(cells.values()))))
    return feats


def write(tmp, feats, fmt, srid, name):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": c, "name": n, "population": 100 + k % 900},
         "geometry": json.loads(shapely.to_geojson(g))} for k, (c, n, g) in enumerate(feats)]}
    src = tmp / f"{name}_src.geojson"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    args = ["-t_srs", f"EPSG:{srid}", "-nlt", "PROMOTE_TO_MULTI"]
    if fmt == "shp":
        out = tmp / name
        subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(out), str(src), "-nln", "grids",
                        "-lco", "ENCODING=CP936", *args], check=True, capture_output=True)
        (out / "grids.cpg").unlink()
        return out, {"encoding": "gbk"}
    out = tmp / f"{name}.{fmt}"
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt]
    subprocess.run(["ogr2ogr", "-f", driver, str(out), str(src), *args], check=True, capture_output=True)
    return out, {}


def timed_import(path, opts):
    out = io.StringIO()
    t = time.perf_counter()
    call_command("import_grids", str(path), stdout=out, stderr=io.StringIO(), progress_every=0, **opts)
    return time.perf_counter() - t, out.getvalue().strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--format", choices=["shp", "geojson", "gpkg"], default="shp")
    parser.add_argument("--side", type=int, default=100, help="grids per side (side² grids)")
    parser.add_argument("--srid", type=int, default=4549)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gridgov-import-bench-") as tmpdir:
        tmp = Path(tmpdir)
        t = time.perf_counter()
        feats = county_features(args.side)
        first, opts = write(tmp, feats, args.format, args.srid, "v1")
        changed, _ = write(tmp, county_features(args.side, shift=CELL * 0.01), args.format, args.srid, "v2")
        grids = sum(1 for c, _, _ in feats if len(c) == 15)
        print(f"generated {len(feats)} features ({grids} grids) as {args.format} EPSG:{args.srid} "
              f"in {time.perf_counter() - t:.1f} s")
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            for label, path in (("first import", first), ("re-import (unchanged)", first),
                                ("every boundary changed", changed)):
                seconds, summary = timed_import(path, opts)
                print(f"{label:24s} {seconds:6.2f} s  {len(feats) / seconds:8.0f} features/s   | {summary}")
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
