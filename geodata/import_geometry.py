"""Geometry work for imports, on whole arrays: CRS → WGS-84 (GDAL/PROJ), web-map datums → WGS-84,
range checks, and repair of invalid polygons (GEOS make_valid, the algorithm of ST_MakeValid).
"""
from ctypes import POINTER, c_double, c_int, c_void_p

import numpy as np
import shapely
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.gdal.error import GDALException, SRSException
from django.contrib.gis.gdal.libgdal import lgdal

from .datums import WGS84, to_wgs84_arrays
from .import_reading import POLYGONAL
from .import_sources import Problem

STORAGE_SRID = 4326

# OCTTransformEx(transform, n, x[], y[], z[], success[]): one call for all vertices of a layer.
# A private function object (lgdal[...] makes a new one) so Django's prototypes stay untouched.
_oct_transform = lgdal["OCTTransformEx"]
_oct_transform.argtypes = [c_void_p, c_int, POINTER(c_double), POINTER(c_double), POINTER(c_double), POINTER(c_int)]
_oct_transform.restype = c_int


def srs_for_srid(srid):
    """SpatialReference for an EPSG code, or None if GDAL/PROJ does not know it."""
    try:
        return SpatialReference(int(srid))
    except (GDALException, SRSException, ValueError, TypeError):
        return None


def describe_srs(srs):
    if srs is None:
        return "?"
    return f"EPSG:{srs.srid} {srs.name}" if srs.srid else (srs.name or "?")


def _gdal_transformer(src):
    ct = CoordTransform(src, SpatialReference(STORAGE_SRID))

    def transform(coords):
        n = len(coords)
        x = np.ascontiguousarray(coords[:, 0], dtype=np.float64)
        y = np.ascontiguousarray(coords[:, 1], dtype=np.float64)
        ok = np.zeros(n, dtype=np.intc)
        if n:
            dbl = POINTER(c_double)
            _oct_transform(ct.ptr, n, x.ctypes.data_as(dbl), y.ctypes.data_as(dbl), None,
                           ok.ctypes.data_as(POINTER(c_int)))
            x[ok == 0] = np.nan  # a failed point fails the range check of its feature
        return np.column_stack([x, y])

    transform.ct = ct
    return transform


def _is_storage_crs(srs):
    return srs.srid == STORAGE_SRID and not srs.projected


def _polygonal_part(geom):
    """Only the polygons of a make_valid result, as one MultiPolygon (None if there are none)."""
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    polys = []
    for p in parts:
        polys.extend(shapely.get_parts(p) if p.geom_type == "MultiPolygon" else [p])
    return shapely.MultiPolygon(polys) if polys else None


def layer_to_storage(layer, srid=None, datum=WGS84):
    """Geometries of a layer as valid WGS-84 MultiPolygons (shapely; None where refused).

    Returns (geoms, problems, repairs); problems and repairs name each feature.
    """
    n = len(layer)
    geoms = [None] * n
    problems, repairs = [], []
    src = srs_for_srid(srid) if srid else layer.srs
    if src is None:
        note_zh, note_en = layer.crs_note
        problems.append(Problem(layer.label, None, f"缺少坐标系{note_zh}：请用 --srid 指定，如 --srid 4490",
                                f"no coordinate system{note_en}: give one with --srid, e.g. --srid 4490"))
        return geoms, problems, repairs
    try:
        transform = None if _is_storage_crs(src) else _gdal_transformer(src)
    except (GDALException, SRSException):
        problems.append(Problem(layer.label, None, f"无法识别或转换该坐标系：{describe_srs(src)}；请用 --srid 指定",
                                f"the coordinate system cannot be recognised or transformed: {describe_srs(src)}; "
                                "give one with --srid"))
        return geoms, problems, repairs

    todo = []
    for i in range(n):
        if i in layer.bad:
            continue
        kind = layer.geom_types[i]
        if layer.wkbs[i] is None:
            problems.append(Problem(layer.refs[i], layer.codes[i], "几何为空", "empty geometry"))
        elif kind not in POLYGONAL:
            problems.append(Problem(layer.refs[i], layer.codes[i], f"不是面（多边形）要素：{kind}",
                                    f"not a polygon: {kind}"))
        else:
            todo.append(i)
    if not todo:
        return geoms, problems, repairs
    arr = shapely.from_wkb([layer.wkbs[i] for i in todo], on_invalid="ignore")
    arr = shapely.force_2d(arr)
    if transform is not None:
        arr = shapely.transform(arr, transform)
    if datum != WGS84:
        arr = shapely.transform(arr, lambda c: np.column_stack(to_wgs84_arrays(c[:, 0], c[:, 1], datum)))
    bounds = shapely.bounds(arr)
    empty = shapely.is_missing(arr) | shapely.is_empty(arr)
    with np.errstate(invalid="ignore"):
        in_range = (np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
                    & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90))
    valid = shapely.is_valid(arr)
    for k, i in enumerate(todo):
        ref, code = layer.refs[i], layer.codes[i]
        if empty[k]:
            problems.append(Problem(ref, code, "几何为空", "empty geometry"))
            continue
        if not in_range[k]:
            x0, y0, x1, y1 = bounds[k]
            problems.append(Problem(
                ref, code,
                f"转换到 WGS-84 后坐标超出经纬度范围（x {x0:.6g}…{x1:.6g}, y {y0:.6g}…{y1:.6g}）：坐标系不对或缺失？"
                f"文件坐标系为 {describe_srs(src)}",
                f"coordinates outside the lon/lat range after transforming to WGS-84 (x {x0:.6g}…{x1:.6g}, "
                f"y {y0:.6g}…{y1:.6g}): wrong or missing CRS? The file's CRS is {describe_srs(src)}"))
            continue
        geom = arr[k]
        if not valid[k]:
            reason = shapely.is_valid_reason(geom)
            repaired = _polygonal_part(shapely.make_valid(geom))
            if repaired is None or repaired.is_empty or not repaired.is_valid:
                problems.append(Problem(ref, code, f"几何无效且无法修复为多边形：{reason}",
                                        f"invalid geometry that cannot be repaired into polygons: {reason}"))
                continue
            parts = shapely.get_num_geometries(repaired)
            repairs.append(Problem(ref, code, f"几何无效（{reason}），已用 make_valid 修复为 {parts} 个多边形",
                                   f"invalid geometry ({reason}) repaired with make_valid into {parts} polygon(s)"))
            geom = repaired
        geoms[i] = geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])
    return geoms, problems, repairs
