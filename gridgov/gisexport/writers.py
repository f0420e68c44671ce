"""Export formats: GeoJSON and CSV streamed row by row; GeoPackage and zipped Shapefile written by
GDAL's ogr2ogr (from a GeoJSON written to a temp dir) and then streamed from an unlinked file.
"""
import csv
import io
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

from gridgov.core.errors import FieldError
from gridgov.spreadsheets import neutralise

FORMATS = ("geojson", "csv", "gpkg", "shp.zip")
ENCODINGS = {"utf-8": ("UTF-8", "utf-8"), "utf8": ("UTF-8", "utf-8"), "gbk": ("CP936", "gbk")}


def check_format(fmt):
    if fmt not in FORMATS:
        raise FieldError("format", "invalid", f"不支持的格式 {fmt!r}，可选 {', '.join(FORMATS)}",
                         f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def check_encoding(value):
    key = (value or "utf-8").strip().lower()
    if key not in ENCODINGS:
        raise FieldError("encoding", "invalid", "编码只能是 utf-8 或 gbk", "encoding must be utf-8 or gbk")
    return key


def geojson_chunks(rows, fields, layer):
    """A FeatureCollection as text pieces; rows end with the geometry as GeoJSON text."""
    yield '{"type":"FeatureCollection","name":' + json.dumps(layer) + ',"crs":{"type":"name","properties":' \
          '{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[\n'
    n = len(fields)
    first = True
    for row in rows:
        props = json.dumps(dict(zip(fields, row[:n])), ensure_ascii=False)
        yield ("" if first else ",\n") + '{"type":"Feature","geometry":' + (row[n] or "null") + ',"properties":' \
            + props + "}"
        first = False
    yield "\n]}\n"


def csv_chunks(rows, fields, text_fields, geometry_column="wkt", encoding="utf-8", batch=500):
    """CSV with a header, text cells neutralised, the geometry as WKT last; bytes in `encoding`."""
    codec = ENCODINGS[encoding][1]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(fields + [geometry_column])
    text_at = [i for i, f in enumerate(fields) if f in text_fields]
    head = "\ufeff" if codec == "utf-8" else ""
    yield (head + buf.getvalue()).encode(codec, errors="replace")
    buf.seek(0), buf.truncate()
    for i, row in enumerate(rows, 1):
        row = list(row)
        for j in text_at:
            row[j] = neutralise(row[j])
        w.writerow(row)
        if i % batch == 0:
            yield buf.getvalue().encode(codec, errors="replace")
            buf.seek(0), buf.truncate()
    yield buf.getvalue().encode(codec, errors="replace")


def ogr_file(rows, fields, layer, fmt, geometry_type, encoding="utf-8"):
    """Write a GPKG or a zipped Shapefile; returns an open binary file (already unlinked)."""
    with tempfile.TemporaryDirectory(prefix="gridgov-gisexport-") as work:
        src = Path(work) / f"{layer}.geojson"
        with open(src, "w", encoding="utf-8") as f:
            f.writelines(geojson_chunks(rows, fields, layer))
        if fmt == "gpkg":
            out = Path(work) / f"{layer}.gpkg"
            args = ["-f", "GPKG", str(out), str(src), "-nln", layer, "-lco", "GEOMETRY_NAME=geom"]
        else:
            out = Path(work) / "shp"
            out.mkdir()
            args = ["-f", "ESRI Shapefile", str(out / f"{layer}.shp"), str(src), "-nln", layer,
                    "-lco", f"ENCODING={ENCODINGS[encoding][0]}"]
        proc = subprocess.run(["ogr2ogr", *args, "-nlt", geometry_type, "-a_srs", "EPSG:4326"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise FieldError("format", "ogr2ogr_failed", f"ogr2ogr 失败：{proc.stderr.strip()}",
                             f"ogr2ogr failed: {proc.stderr.strip()}")
        result = tempfile.TemporaryFile()
        if fmt == "gpkg":
            with open(out, "rb") as f:
                while chunk := f.read(1 << 20):
                    result.write(chunk)
        else:
            with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as z:
                for p in sorted(out.iterdir()):
                    z.write(p, p.name)
        result.seek(0)
        return result
