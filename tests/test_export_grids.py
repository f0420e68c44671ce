"""export_grids: GeoJSON built in PostGIS, GeoPackage via ogr2ogr; both read by ogrinfo and re-importable."""
import io
import json
import subprocess

import pytest
from django.core.management import CommandError, call_command

from gridgov.grids.models import GridBoundary, GridUnit
from tests.data_builders import C1, COUNTY, small_county, write_geojson

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path):
    call_command("import_grids", str(write_geojson(tmp_path / "src.geojson", small_county())),
                 stdout=io.StringIO(), stderr=io.StringIO())


def export(*args, **opts):
    out = io.StringIO()
    call_command("export_grids", *map(str, args), stdout=out, **opts)
    return out.getvalue()


def ogrinfo(path, *args):
    return subprocess.run(["ogrinfo", "-ro", "-al", *args, str(path)], check=True, capture_output=True,
                          text=True).stdout


def test_it_exports_geojson_with_all_attributes_and_utf8_names(imported, tmp_path):
    out = tmp_path / "grids.geojson"
    assert "exported 8" in export(out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "北村一网格".encode() in out.read_bytes()
    by_code = {f["properties"]["code"]: f for f in doc["features"]}
    grid = by_code[C1 + "001"]["properties"]
    assert grid["name"] == "北村一网格" and grid["level"] == 4 and grid["parent_code"] == C1
    assert grid["population"] == 120 and 1.02e6 < grid["area_m2"] < 1.06e6
    assert by_code[COUNTY]["properties"]["parent_code"] is None
    assert by_code[COUNTY]["geometry"]["type"] == "MultiPolygon"
    assert "Feature Count: 8" in ogrinfo(out, "-so")


def test_it_filters_by_level_and_code_prefix(imported, tmp_path):
    out = tmp_path / "grids.geojson"
    export(out, level=4)
    assert len(json.loads(out.read_text())["features"]) == 4
    export(out, code_prefix=C1)
    codes = [f["properties"]["code"] for f in json.loads(out.read_text())["features"]]
    assert codes == [C1, C1 + "001", C1 + "002"]


def test_it_refuses_a_filter_matching_nothing_and_a_bad_prefix(imported, tmp_path):
    with pytest.raises(CommandError, match="no grid units match"):
        export(tmp_path / "none.geojson", code_prefix="110101")
    with pytest.raises(CommandError, match="must be digits"):
        export(tmp_path / "bad.geojson", code_prefix="32%")
    assert not (tmp_path / "none.geojson").exists()


def test_it_exports_a_geopackage_readable_by_ogrinfo(imported, tmp_path):
    out = tmp_path / "grids.gpkg"
    export(out, format="gpkg")
    summary = ogrinfo(out, "-so")
    assert "Feature Count: 8" in summary and "Geometry: Multi Polygon" in summary
    for line in ("code: String", "name: String", "level: Integer", "parent_code: String", "area_m2: Real",
                 "population: Integer"):
        assert line in summary
    assert "EPSG\",4326" in summary or "WGS 84" in summary
    assert "name (String) = 北村一网格" in ogrinfo(out, "-where", f"code = '{C1}001'")


@pytest.mark.parametrize("name", ["round.geojson", "round.gpkg"])
def test_an_export_reimported_changes_nothing(imported, tmp_path, name):
    out = tmp_path / name
    export(out)
    versions = GridBoundary.objects.count()
    log = io.StringIO()
    call_command("import_grids", str(out), stdout=log, stderr=io.StringIO())
    assert "created 0, 变更 changed 0, 未变 unchanged 8" in log.getvalue()
    assert GridBoundary.objects.count() == versions and GridUnit.objects.count() == 8
