"""Reading grid features out of GDAL layers: which field holds what, decoded strictly.

The result is column lists per layer (codes, names, parents, populations, WKB geometries in the
layer's own CRS), so that geometry work afterwards runs on whole arrays.
"""
from dataclasses import dataclass, field

from django.contrib.gis.gdal.error import GDALException
from django.contrib.gis.gdal.prototypes import ds as capi

from .import_sources import Problem, open_dataset, sibling

ROLES = ("code", "name", "parent", "population")
ROLE_ZH = {"code": "编码", "name": "名称", "parent": "上级编码", "population": "人口"}
# Field names tried, case-insensitively, when no --<role>-field option names one.
FIELD_CANDIDATES = {
    "code": ("code", "编码", "网格编码", "grid_code", "gridcode", "wgbm", "bm", "dm", "代码", "区划代码", "qhdm"),
    "name": ("name", "名称", "网格名称", "grid_name", "gridname", "wgmc", "mc", "名字", "区划名称", "qhmc"),
    "parent": ("parent_code", "parent", "pcode", "parentcode", "上级编码", "上级代码", "sjbm", "sjdm"),
    "population": ("population", "pop", "人口", "人口数", "rk", "rks"),
}
WKB_NONE = 100
# OGR geometry names (OGR_G_GetGeometryName: no Z/M suffix) that are accepted.
POLYGONAL = {"POLYGON", "MULTIPOLYGON"}


@dataclass
class LayerData:
    label: str
    srs: object  # django.contrib.gis.gdal.SpatialReference or None
    source: object = None  # the import_sources.Source it was read from
    refs: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    names: list = field(default_factory=list)
    parents: list = field(default_factory=list)
    populations: list = field(default_factory=list)
    wkbs: list = field(default_factory=list)  # bytes, or None when the feature has no geometry
    geom_types: list = field(default_factory=list)
    bad: set = field(default_factory=set)  # indexes already refused while reading
    crs_note: tuple = ("", "")  # why there is no CRS, when there is none (zh, en)

    def __len__(self):
        return len(self.refs)


def _field_names(layer, encoding):
    names = []
    for i in range(layer.num_fields):
        raw = capi.get_field_name(capi.get_field_defn(layer._ldefn, i))
        names.append(raw.decode(encoding) if isinstance(raw, bytes) else raw)
    return names


def map_fields(names, requested, label):
    """Field index for each role; explicit names must exist, otherwise the usual names are tried."""
    problems, indexes = [], {}
    lowered = [n.lower() for n in names]
    for role in ROLES:
        wanted = requested.get(role)
        if wanted:
            if wanted in names:
                indexes[role] = names.index(wanted)
            elif wanted.lower() in lowered:
                indexes[role] = lowered.index(wanted.lower())
            else:
                problems.append(Problem(label, None, f"没有字段 {wanted!r}（{ROLE_ZH[role]}）；现有字段：{', '.join(names)}",
                                        f"no field {wanted!r} ({role}); the fields are: {', '.join(names)}"))
            continue
        for candidate in FIELD_CANDIDATES[role]:
            if candidate.lower() in lowered:
                indexes[role] = lowered.index(candidate.lower())
                break
    for role in ("code", "name"):
        if role not in indexes and not requested.get(role):
            problems.append(Problem(
                label, None,
                f"找不到{ROLE_ZH[role]}字段；请用 --{role}-field 指定。现有字段：{', '.join(names) or '（无）'}",
                f"no {role} field found; name it with --{role}-field. The fields are: {', '.join(names) or '(none)'}"))
    return indexes, problems


def _decode(raw, encoding):
    return raw.decode(encoding).strip() if isinstance(raw, bytes) else raw


def read_sources(sources, requested_fields, layer_names=(), progress=None, progress_every=1000):
    """Read every selected layer of every source. Returns (layers, problems)."""
    layers, problems = [], []
    for source in sources:
        ds = open_dataset(source)
        available = [ds[i] for i in range(ds.layer_count)]
        spatial = [lyr for lyr in available if capi.get_fd_geom_type(lyr._ldefn) != WKB_NONE]
        # Without --layer, attribute-only tables (e.g. QGIS's layer_styles in a GeoPackage) are skipped.
        chosen = [lyr for lyr in available if lyr.name in layer_names] if layer_names else spatial
        if available and not spatial:
            problems.append(Problem(source.label, None, "文件中没有带几何的图层（不是地理数据）",
                                    "no layer of the file has geometry (not geodata)"))
        if layer_names:
            missing = set(layer_names) - {lyr.name for lyr in available}
            for name in sorted(missing):
                problems.append(Problem(source.label, None, f"没有图层 {name!r}；现有图层：{', '.join(l.name for l in available)}",
                                        f"no layer {name!r}; the layers are: {', '.join(l.name for l in available)}"))
        if not available:
            problems.append(Problem(source.label, None, "文件中没有图层", "the file has no layers"))
        for lyr in chosen:
            label = source.label if len(available) == 1 else f"{source.label}:{lyr.name}"
            data, layer_problems = _read_layer(lyr, source, label, requested_fields, progress, progress_every)
            problems.extend(layer_problems)
            if data is not None:
                layers.append(data)
    return layers, problems


def _encoding_hint(source):
    if source.driver != "ESRI Shapefile":
        return "", ""
    if source.encoding_from == "default":
        return ("（该 Shapefile 没有 .cpg 文件说明编码，中文属性常为 GBK：请加 --encoding gbk）",
                " (the shapefile has no .cpg naming its encoding; Chinese attributes are often GBK: add --encoding gbk)")
    if source.encoding_from in (".cpg", "ldid"):
        where = ".cpg 文件" if source.encoding_from == ".cpg" else ".dbf 文件头"
        return (f"（编码取自{where}；若其有误，请用 --encoding 指定，如 --encoding gbk）",
                f" (the encoding comes from the {'.cpg file' if source.encoding_from == '.cpg' else '.dbf header'}; "
                "if that is wrong, give one with --encoding, e.g. --encoding gbk)")
    return "（请检查 --encoding）", " (check --encoding)"


def _read_layer(lyr, source, label, requested_fields, progress, progress_every):
    hint_zh, hint_en = _encoding_hint(source)
    try:
        names = _field_names(lyr, source.encoding)
    except UnicodeDecodeError:
        return None, [Problem(label, None, f"字段名无法按 {source.encoding} 解码{hint_zh}",
                              f"the field names cannot be decoded as {source.encoding}{hint_en}")]
    if capi.get_fd_geom_type(lyr._ldefn) == WKB_NONE:
        return None, [Problem(label, None, "图层没有几何（不是地理数据）", "the layer has no geometry (not geodata)")]
    indexes, problems = map_fields(names, requested_fields, label)
    if problems:
        return None, problems
    data = LayerData(label=label, srs=lyr.srs, source=source)
    if data.srs is None and source.driver == "ESRI Shapefile":
        data.crs_note = (("（.prj 文件内容无法识别）", " (the .prj file cannot be understood)")
                         if sibling(source.path, ".prj") else ("（没有 .prj 文件）", " (there is no .prj file)"))
    columns = {"code": data.codes, "name": data.names, "parent": data.parents, "population": data.populations}
    total = lyr.num_feat
    number = 0
    undecodable = 0
    for feat in lyr:
        number += 1
        fp = feat.ptr
        ref = f"{label}#{number}"
        data.refs.append(ref)
        failed = []
        for role in ROLES:  # code first, so that later problems can name it
            idx = indexes.get(role)
            raw = capi.get_field_as_string(fp, idx) if idx is not None and capi.is_field_set(fp, idx) else None
            try:
                value = _decode(raw, source.encoding) or None
            except UnicodeDecodeError:
                value = None
                failed.append(role)
            columns[role].append(value)
        if failed:
            undecodable += 1
            data.bad.add(len(data.refs) - 1)
            fields_zh = "、".join(ROLE_ZH[r] for r in failed)
            problems.append(Problem(ref, data.codes[-1], f"属性（{fields_zh}）无法按 {source.encoding} 解码",
                                    f"the {', '.join(failed)} attribute(s) cannot be decoded as {source.encoding}"))
        try:
            geom = feat.geom
        except GDALException:
            geom = None
        if geom is None:
            data.wkbs.append(None)
            data.geom_types.append(None)
        else:
            data.geom_types.append(geom.geom_name)
            data.wkbs.append(bytes(geom.wkb))
        if progress and number % progress_every == 0:
            progress(label, number, total)
    if progress:
        progress(label, number, total)
    if undecodable:
        problems.insert(0, Problem(label, None, f"{undecodable} 个要素的文字属性无法按 {source.encoding} 解码{hint_zh}",
                                   f"text attributes of {undecodable} feature(s) cannot be decoded as {source.encoding}{hint_en}"))
    return data, problems
