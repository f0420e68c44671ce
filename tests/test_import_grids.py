"""import_grids against real PostGIS: each format, CRS, datum and encoding, and broken/hostile files."""
import io
import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from geodata import import_sources
from geodata.datums import from_wgs84
from gridgov.grids.models import GridBoundary, GridUnit
from tests.data_builders import (
    C1, C2, COUNTY, D, TOWN, X0, Y0, bomb_zip, feature, polygon, small_county, traversal_zip, write_geojson,
    write_gpkg, write_projected_geojson, write_shapefile, zip_files, zip_shapefile,
)

pytestmark = pytest.mark.django_db
GRID = C1 + "001"


def run(*args, **opts):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_grids", *map(str, args), stdout=out, stderr=err, **opts)
    return out.getvalue(), err.getvalue()


def refused(*args, **opts):
    with pytest.raises(CommandError) as exc:
        run(*args, **opts)
    assert GridUnit.objects.count() == 0 and GridBoundary.objects.count() == 0, "something was written"
    return str(exc.value)


def assert_small_county_imported(tolerance=1e-9):
    assert GridUnit.objects.count() == 8
    grid = GridUnit.objects.get(code=GRID)
    assert grid.name == "北村一网格"
    assert grid.level == 4
    assert grid.parent.code == C1 and grid.parent.parent.code == TOWN
    xmin, ymin, xmax, ymax = grid.geom.extent
    for got, want in zip((xmin, ymin, xmax, ymax), (X0, Y0 + D, X0 + D, Y0 + 2 * D)):
        assert abs(got - want) < tolerance, (got, want)
    # ~0.01° × 0.01° at 33°N on the spheroid: 1113 m × 933 m
    assert 1.02e6 < grid.area_m2 < 1.06e6


def test_it_imports_a_geojson_file(tmp_path):
    out, _ = run(write_geojson(tmp_path / "grids.geojson", small_county()))
    assert_small_county_imported()
    assert "created 8" in out
    assert GridUnit.objects.get(code=GRID).population == 120
    assert GridBoundary.objects.filter(valid_to__isnull=True).count() == 8


@pytest.mark.parametrize("form", ["folder", "shp", "zip"])
def test_it_imports_a_shapefile_as_folder_shp_or_zip(tmp_path, form):
    shp = write_shapefile(tmp_path / "shape", small_county())
    path = {"folder": shp.parent, "shp": shp, "zip": zip_shapefile(tmp_path / "grids.zip", shp)}[form]
    run(path)
    assert_small_county_imported()


def test_it_imports_a_geopackage(tmp_path):
    run(write_gpkg(tmp_path / "grids.gpkg", small_county()))
    assert_small_county_imported()


def test_it_reads_cgcs2000_epsg_4490(tmp_path):
    out, _ = run(write_geojson(tmp_path / "cgcs.geojson", small_county(), srid=4490))
    assert "EPSG:4490" in out
    assert_small_county_imported(tolerance=1e-7)


@pytest.mark.parametrize("builder,srid", [("shapefile", 4549), ("geojson", 4549), ("shapefile", 4528),
                                          ("gpkg", 4498)])
def test_it_reads_cgcs2000_gauss_kruger_zones(tmp_path, builder, srid):
    """4549: 3° zone, CM 120°E; 4528: 3° zone 40 (zone number in the false easting); 4498: 6° zone 20."""
    if builder == "shapefile":
        path = write_shapefile(tmp_path / "gk", small_county(), srid=srid)
    elif builder == "gpkg":
        path = write_gpkg(tmp_path / "gk.gpkg", small_county(), srid=srid)
    else:
        path = write_projected_geojson(tmp_path, small_county(), srid)
    first_x = json.loads(path.read_text())["features"][0]["geometry"]["coordinates"][0][0][0] \
        if builder == "geojson" else None
    assert first_x is None or first_x > 100_000  # metres, not degrees
    out, _ = run(path)
    assert f"EPSG:{srid}" in out
    assert_small_county_imported(tolerance=1e-7)


def test_it_decodes_a_gbk_shapefile_without_cpg_when_told(tmp_path):
    shp = write_shapefile(tmp_path / "gbk", small_county(), encoding="CP936", cpg=False, ldid=0)
    assert not shp.with_suffix(".cpg").exists()
    run(shp, encoding="gbk")
    assert_small_county_imported()
    assert GridUnit.objects.get(code=COUNTY).name == "测试县"


def test_it_refuses_a_gbk_shapefile_without_cpg_and_says_to_pass_the_encoding(tmp_path):
    shp = write_shapefile(tmp_path / "gbk", small_county(), encoding="CP936", cpg=False, ldid=0)
    message = refused(shp)
    assert "--encoding gbk" in message
    assert f"grids.shp#5 [{GRID}]" in message


def test_it_uses_the_cpg_file_when_there_is_one(tmp_path):
    run(write_shapefile(tmp_path / "gbk", small_county(), encoding="CP936", cpg=True))
    assert GridUnit.objects.get(code=GRID).name == "北村一网格"


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_it_converts_data_digitised_on_chinese_web_maps(tmp_path, datum):
    features = small_county()
    for f in features:
        f["geometry"]["coordinates"] = [[list(from_wgs84(x, y, datum)) for x, y in r]
                                        for r in f["geometry"]["coordinates"]]
    path = write_geojson(tmp_path / "webmap.geojson", features)
    out, _ = run(path, datum=datum)
    assert f"datum {datum}" in out
    # GCJ-02 inverts to ~1 cm; BD-09 (closed-form BD→GCJ step in geodata.datums) to ~6 cm
    assert_small_county_imported(tolerance=2e-7 if datum == "gcj02" else 1e-6)


def test_without_the_datum_option_gcj02_data_lands_hundreds_of_metres_off(tmp_path):
    features = small_county()
    for f in features:
        f["geometry"]["coordinates"] = [[list(from_wgs84(x, y, "gcj02")) for x, y in r]
                                        for r in f["geometry"]["coordinates"]]
    run(write_geojson(tmp_path / "amap.geojson", features))
    xmin = GridUnit.objects.get(code=GRID).geom.extent[0]
    assert abs(xmin - X0) > 0.001


def test_it_repairs_a_bowtie_and_reports_it(tmp_path):
    features = small_county()
    x0, y0, x1, y1 = X0, Y0 + D, X0 + D, Y0 + 2 * D
    features[4]["geometry"] = {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    out, _ = run(write_geojson(tmp_path / "bowtie.geojson", features))
    assert f"[{GRID}]" in out and "make_valid" in out and "Self-intersection" in out
    grid = GridUnit.objects.get(code=GRID)
    assert grid.geom.valid and grid.geom.num_geom == 2
    assert "repaired 1" in out


def test_it_refuses_a_shapefile_without_prj_unless_srid_is_given(tmp_path):
    shp = write_shapefile(tmp_path / "noprj", small_county(), prj=False)
    assert "--srid" in refused(shp)
    run(shp, srid=4490)
    assert_small_county_imported(tolerance=1e-7)


def test_it_refuses_a_wrong_crs_whose_coordinates_leave_the_lon_lat_range(tmp_path):
    projected = write_projected_geojson(tmp_path, small_county(), 4549)
    doc = json.loads(projected.read_text())
    del doc["crs"]  # GK metres now claim to be WGS-84 lon/lat
    path = tmp_path / "wrong.geojson"
    path.write_text(json.dumps(doc))
    message = refused(path)
    assert "outside the lon/lat range" in message and f"[{COUNTY}]" in message


@pytest.mark.parametrize("content", ["code,name,lon,lat\n320831,测试县,119,33\n", "这不是地理数据\n", ""])
def test_it_refuses_a_non_geodata_file_renamed_geojson(tmp_path, content):
    path = tmp_path / "grids.geojson"
    path.write_text(content, encoding="utf-8")
    assert "not a readable GeoJSON file" in refused(path)


def test_it_refuses_an_unsupported_file_type(tmp_path):
    path = tmp_path / "grids.csv"
    path.write_text("code,name\n320831,测试县\n")
    assert "unsupported file type .csv" in refused(path)


def test_it_refuses_points_instead_of_polygons(tmp_path):
    features = small_county()
    features[5]["geometry"] = {"type": "Point", "coordinates": [X0, Y0]}
    message = refused(write_geojson(tmp_path / "points.geojson", features))
    assert f"[{C1}002]" in message and "not a polygon: POINT" in message


def test_it_refuses_empty_geometry_and_missing_codes_listing_them_all(tmp_path):
    features = small_county()
    features[6]["geometry"] = None
    features[7]["properties"]["code"] = None
    message = refused(write_geojson(tmp_path / "holes.geojson", features))
    assert f"#7 [{C2}001]" in message and "empty geometry" in message
    assert "#8" in message and "missing code" in message
    assert "2 problem(s)" in message


def test_it_refuses_malformed_and_duplicate_codes(tmp_path):
    features = small_county()
    features[4]["properties"]["code"] = "32083110100100A"
    features[5]["properties"]["code"] = "3208311010010"
    features[6]["properties"]["code"] = C2 + "002"
    message = refused(write_geojson(tmp_path / "codes.geojson", features))
    assert "'32083110100100A' is malformed" in message
    assert "'3208311010010' is malformed" in message
    assert "duplicate code (same as codes.geojson#7)" in message


def test_it_refuses_a_grid_whose_parent_is_nowhere(tmp_path):
    features = [f for f in small_county() if f["properties"]["code"] != C2]
    message = refused(write_geojson(tmp_path / "orphans.geojson", features))
    assert f"[{C2}001]" in message and f"parent {C2} is neither in the file nor in the database" in message


def test_a_parent_already_in_the_database_is_enough(tmp_path):
    run(write_geojson(tmp_path / "all.geojson", small_county()))
    grids_only = [f for f in small_county() if len(f["properties"]["code"]) == 15]
    grids_only[0]["properties"]["name"] = "北村一网格（改）"
    out, _ = run(write_geojson(tmp_path / "grids.geojson", grids_only))
    assert "changed 1" in out and "unchanged 3" in out


@pytest.mark.parametrize("builder", [traversal_zip, bomb_zip])
def test_it_refuses_hostile_zips(tmp_path, builder):
    message = refused(builder(tmp_path / "hostile.zip"))
    assert "path traversal" in message or "zip bomb" in message
    assert not (tmp_path.parent / "evil.geojson").exists()


def test_it_refuses_a_zip_that_unpacks_beyond_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(import_sources, "MAX_UNZIPPED_BYTES", 1000)
    path = zip_files(tmp_path / "big.zip", [write_geojson(tmp_path / "grids.geojson", small_county())])
    assert "more than the limit" in refused(path)


def test_it_refuses_a_crs_given_as_a_remote_link(tmp_path):
    path = write_geojson(tmp_path / "link.geojson", small_county())
    doc = json.loads(path.read_text())
    doc["crs"] = {"type": "link", "properties": {"href": "http://example.invalid/crs.wkt", "type": "ogcwkt"}}
    path.write_text(json.dumps(doc))
    assert "link/URL" in refused(path)


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    shp = write_shapefile(tmp_path / "gk", small_county(), srid=4549)
    run(shp)
    before = list(GridBoundary.objects.order_by("id").values_list("id", "valid_from", "valid_to"))
    updated = dict(GridUnit.objects.values_list("code", "updated_at"))
    out, _ = run(shp)
    assert "created 0, 变更 changed 0, 未变 unchanged 8" in out
    assert list(GridBoundary.objects.order_by("id").values_list("id", "valid_from", "valid_to")) == before
    assert dict(GridUnit.objects.values_list("code", "updated_at")) == updated


def test_a_changed_boundary_becomes_a_new_version_and_the_old_one_is_kept(tmp_path):
    run(write_geojson(tmp_path / "v1.geojson", small_county()))
    features = small_county()
    features[4]["geometry"] = polygon(X0, Y0 + D, X0 + D * 0.9, Y0 + 2 * D)
    out, _ = run(write_geojson(tmp_path / "v2.geojson", features))
    assert "changed 1" in out and "unchanged 7" in out
    versions = GridBoundary.objects.filter(unit__code=GRID).order_by("valid_from")
    assert versions.count() == 2
    old, new = versions
    assert old.valid_to == new.valid_from and new.valid_to is None
    assert abs(old.geom.extent[2] - (X0 + D)) < 1e-9 and abs(new.geom.extent[2] - (X0 + 0.9 * D)) < 1e-9
    assert GridBoundary.objects.count() == 9


def test_dry_run_checks_everything_and_writes_nothing(tmp_path):
    out, _ = run(write_geojson(tmp_path / "grids.geojson", small_county()), dry_run=True)
    assert "dry run" in out and "created 8" in out
    assert GridUnit.objects.count() == 0 and GridBoundary.objects.count() == 0


def test_field_options_name_chinese_fields_and_level_composes_local_numbers(tmp_path):
    run(write_geojson(tmp_path / "parents.geojson", small_county()[:4]))
    grids = [{"type": "Feature", "geometry": f["geometry"],
              "properties": {"网格号": f["properties"]["code"][-3:], "网格名称": f["properties"]["name"],
                             "所属社区": f["properties"]["code"][:12], "常住人口": 7}}
             for f in small_county()[4:]]
    path = write_gpkg(tmp_path / "grids.gpkg", grids)
    run(path, code_field="网格号", name_field="网格名称", parent_field="所属社区", population_field="常住人口", level=4)
    grid = GridUnit.objects.get(code=GRID)
    assert grid.name == "北村一网格" and grid.population == 7


def test_it_names_a_missing_code_field_and_lists_the_fields(tmp_path):
    features = [feature(None, "x", polygon(X0, Y0, X0 + D, Y0 + D))]
    features[0]["properties"] = {"bianhao": "320831", "name": "测试县"}
    message = refused(write_geojson(tmp_path / "nocode.geojson", features))
    assert "--code-field" in message and "bianhao" in message


def test_level_option_refuses_codes_of_another_level(tmp_path):
    message = refused(write_geojson(tmp_path / "grids.geojson", small_county()), level=4)
    assert f"code {COUNTY} has 6 digits but --level 4 expects 15" in message


def test_it_shows_progress_on_stderr(tmp_path):
    _, err = run(write_geojson(tmp_path / "grids.geojson", small_county()), progress_every=2)
    assert "grids.geojson: 2/8 (25%)" in err and "grids.geojson: 8/8 (100%)" in err


def test_it_imports_several_shapefiles_of_one_folder_as_one_batch(tmp_path):
    folder = tmp_path / "county"
    write_shapefile(folder, small_county()[:4], name="villages")
    write_shapefile(folder, small_county()[4:], name="grids")
    run(folder)
    assert_small_county_imported()


def _state():
    units = sorted(GridUnit.objects.values_list("code", "name", "level", "parent__code", "population", "is_active"))
    geoms = {u.code: u.geom.wkt for u in GridUnit.objects.all()}
    areas = {u.code: round(u.area_m2, 3) for u in GridUnit.objects.all()}
    versions = sorted((b.unit.code, b.name, b.geom.wkt, round(b.area_m2, 3), b.valid_to is None, b.source)
                      for b in GridBoundary.objects.select_related("unit"))
    return units, geoms, areas, versions


def test_upserting_versions_changed_boundaries_and_names_only():
    from django.contrib.gis.geos import GEOSGeometry

    from gridgov.grids.actions import UnitInput, do_upsert_units

    def units(features):
        return [UnitInput(f["properties"]["code"], f["properties"]["name"],
                          GEOSGeometry(json.dumps(f["geometry"]), srid=4326), f["properties"].get("population"))
                for f in features]

    v2 = small_county()
    v2[4]["geometry"] = polygon(X0, Y0 + D, X0 + D * 0.9, Y0 + 2 * D)  # boundary changed
    v2[5]["properties"]["name"] = "北村二网格（新）"  # name changed
    v2[6]["properties"]["population"] = 33  # attribute only: no new version
    first = do_upsert_units(units(small_county()), source="t")
    second = do_upsert_units(units(v2), source="t")
    third = do_upsert_units(units(v2), source="t")
    assert first.summary() == {"created": 8, "changed": 0, "unchanged": 0, "retired": 0}
    assert second.summary() == {"created": 0, "changed": 3, "unchanged": 5, "retired": 0}
    assert sorted(second.changed) == sorted(f["properties"]["code"] for f in v2[4:7])
    assert third.summary() == {"created": 0, "changed": 0, "unchanged": 8, "retired": 0}
    units_, geoms, areas, versions = _state()
    assert len(versions) == 10  # 8 first versions + 2 new ones (boundary, name)
    assert GridUnit.objects.get(code=v2[6]["properties"]["code"]).population == 33
    changed = GridUnit.objects.get(code=v2[4]["properties"]["code"])
    assert changed.area_m2 < GridUnit.objects.get(code=v2[5]["properties"]["code"]).area_m2


def test_it_says_when_the_prj_cannot_be_understood(tmp_path):
    shp = write_shapefile(tmp_path / "badprj", small_county())
    shp.with_suffix(".prj").write_text("this is not a projection")
    message = refused(shp)
    assert "the .prj file cannot be understood" in message and "--srid" in message


def test_it_names_the_missing_parts_of_a_shapefile(tmp_path):
    shp = write_shapefile(tmp_path / "nodbf", small_county())
    shp.with_suffix(".dbf").unlink()
    assert ".dbf file(s) are missing" in refused(shp)


def _table_only_layer(gpkg, tmp_path, name):
    empty = write_geojson(tmp_path / "empty.geojson", [])
    args = ["-update"] if gpkg.exists() else []
    subprocess.run(["ogr2ogr", "-f", "GPKG", *args, str(gpkg), str(empty), "-nln", name, "-nlt", "NONE"],
                   check=True, capture_output=True)


def test_it_skips_attribute_tables_of_a_geopackage(tmp_path):
    gpkg = write_gpkg(tmp_path / "grids.gpkg", small_county())
    _table_only_layer(gpkg, tmp_path, "layer_styles")  # what QGIS adds
    run(gpkg)
    assert GridUnit.objects.count() == 8


def test_it_refuses_a_geopackage_without_geometry(tmp_path):
    gpkg = tmp_path / "table.gpkg"
    _table_only_layer(gpkg, tmp_path, "grids")
    assert "no layer of the file has geometry" in refused(gpkg)


def test_it_reads_numeric_code_fields(tmp_path):
    features = small_county()
    for f in features:
        f["properties"]["code"] = int(f["properties"]["code"])
    run(write_shapefile(tmp_path / "numeric", features))
    assert_small_county_imported()


def test_it_refuses_a_damaged_zip(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert "not a valid zip archive" in refused(path)


def test_a_wrong_cpg_is_an_error_with_a_hint_not_mojibake(tmp_path):
    shp = write_shapefile(tmp_path / "liar", small_county(), encoding="CP936")
    shp.with_suffix(".cpg").write_text("UTF-8")
    message = refused(shp)
    assert "the encoding comes from the .cpg file" in message and "--encoding gbk" in message
    run(shp, encoding="gbk")
    assert GridUnit.objects.get(code=COUNTY).name == "测试县"


def test_the_encoding_option_does_not_garble_utf8_geojson(tmp_path):
    run(write_geojson(tmp_path / "grids.geojson", small_county()), encoding="gbk")
    assert GridUnit.objects.get(code=GRID).name == "北村一网格"
