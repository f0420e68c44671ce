"""Grid files for import tests, written in code into tmp_path (GeoJSON by hand, the rest via ogr2ogr).

No binary fixtures are committed: every Shapefile/GeoPackage/zip is built by the test that uses it.
"""
import json
import subprocess
import zipfile
from pathlib import Path

COUNTY = "320831"
TOWN = COUNTY + "101"
C1, C2 = TOWN + "001", TOWN + "002"
X0, Y0, D = 119.0, 33.0, 0.01


def ring(x0, y0, x1, y1):
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def polygon(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [ring(x0, y0, x1, y1)]}


def feature(code, name, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def small_county(x0=X0, y0=Y0, d=D, names=None):
    """County, town, two communities, four grids (the layout of tests.factories.build_small_county)."""
    names = names or {}
    return [
        feature(COUNTY, names.get(COUNTY, "测试县"), polygon(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        feature(TOWN, names.get(TOWN, "测试镇"), polygon(x0, y0, x0 + 2 * d, y0 + 2 * d)),
        feature(C1, names.get(C1, "北村"), polygon(x0, y0 + d, x0 + 2 * d, y0 + 2 * d)),
        feature(C2, names.get(C2, "南村"), polygon(x0, y0, x0 + 2 * d, y0 + d)),
        feature(C1 + "001", "北村一网格", polygon(x0, y0 + d, x0 + d, y0 + 2 * d), population=120),
        feature(C1 + "002", "北村二网格", polygon(x0 + d, y0 + d, x0 + 2 * d, y0 + 2 * d), population=95),
        feature(C2 + "001", "南村一网格", polygon(x0, y0, x0 + d, y0 + d)),
        feature(C2 + "002", "南村二网格", polygon(x0 + d, y0, x0 + 2 * d, y0 + d)),
    ]


def write_geojson(path, features, srid=None):
    """A FeatureCollection; `srid` adds the (pre-RFC 7946) crs member GDAL reads for other CRSs."""
    doc = {"type": "FeatureCollection", "features": features}
    if srid:
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return Path(path)


def ogr2ogr(dst, src, driver, *args):
    subprocess.run(["ogr2ogr", "-f", driver, str(dst), str(src), *args], check=True, capture_output=True)
    return Path(dst)


def write_projected_geojson(tmp_path, features, srid, name="projected.geojson"):
    """The features (given in WGS-84) reprojected by GDAL into EPSG:`srid`, with a crs member."""
    src = write_geojson(tmp_path / f"_src_{name}", features)
    return ogr2ogr(tmp_path / name, src, "GeoJSON", "-t_srs", f"EPSG:{srid}", "-lco", "COORDINATE_PRECISION=6")


def write_shapefile(folder, features, encoding="UTF-8", srid=None, cpg=True, prj=True, ldid=None, name="grids"):
    """A shapefile in `folder`; encoding is the DBF code page (e.g. "CP936" for GBK).

    cpg=False deletes the .cpg, prj=False the .prj; ldid sets byte 29 of the .dbf header
    (0 = no language driver, as many Chinese desktop tools write it).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    src = write_geojson(folder.parent / f"_src_{folder.name}_{name}.geojson", features)
    args = ["-nln", name, "-lco", f"ENCODING={encoding}", "-nlt", "PROMOTE_TO_MULTI"]
    if srid:
        args += ["-t_srs", f"EPSG:{srid}"]
    ogr2ogr(folder, src, "ESRI Shapefile", *args)
    if not cpg:
        (folder / f"{name}.cpg").unlink(missing_ok=True)
    if not prj:
        (folder / f"{name}.prj").unlink()
    if ldid is not None:
        with open(folder / f"{name}.dbf", "r+b") as fh:
            fh.seek(29)
            fh.write(bytes([ldid]))
    return folder / f"{name}.shp"


def write_gpkg(path, features, srid=None, layer="grids"):
    src = write_geojson(Path(path).parent / f"_src_{Path(path).stem}.geojson", features)
    args = ["-nln", layer, "-nlt", "PROMOTE_TO_MULTI"]
    if srid:
        args += ["-t_srs", f"EPSG:{srid}"]
    return ogr2ogr(path, src, "GPKG", *args)


def zip_files(zip_path, files, prefix=""):
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, prefix + Path(f).name)
    return Path(zip_path)


def zip_shapefile(zip_path, shp, prefix="grids/"):
    shp = Path(shp)
    return zip_files(zip_path, sorted(shp.parent.glob(shp.stem + ".*")), prefix)


def traversal_zip(zip_path):
    """A zip whose entry climbs out of the unpack folder."""
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("../../evil.geojson", json.dumps({"type": "FeatureCollection", "features": []}))
        zf.writestr("grids.geojson", json.dumps({"type": "FeatureCollection", "features": []}))
    return Path(zip_path)


def bomb_zip(zip_path, megabytes=64):
    """Tens of megabytes of zeros packed into a few kilobytes."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("grids.geojson", "w") as out:
            block = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                out.write(block)
    return Path(zip_path)
