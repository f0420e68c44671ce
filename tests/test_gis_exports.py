"""GIS exports read back with GDAL (ogrinfo and django.contrib.gis.gdal.DataSource): every format,
filters, role masking, CSV formula injection."""
import csv
import io
import subprocess
import zipfile

import pytest
from django.contrib.gis.gdal import DataSource
from rest_framework.test import APIClient

from gridgov.accounts.models import Role
from tests.factories import make_case, make_user
from tests.factories import api_client as client_for

FORMATS = ["geojson", "csv", "gpkg", "shp.zip"]


@pytest.fixture
def data(county, categories, media):
    dispatcher = make_user("disp1", Role.DISPATCHER)
    make_case(dispatcher, lon=119.005, lat=33.015, category="E0101", description="=HYPERLINK(\"http://x\")",
              contact_name="王小明", contact_phone="13812345678", address="北村 3 号")
    make_case(dispatcher, lon=119.015, lat=33.005, category="C0103", description="路灯不亮",
              contact_phone="021-5555 6666")
    return dispatcher




def body(response):
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def read_back(tmp_path, fmt, content, encoding=None):
    """Write the download where GDAL can open it; returns (DataSource layer, path)."""
    if fmt == "shp.zip":
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            z.extractall(tmp_path / "shp")
            names = z.namelist()
        assert {"cases.shp", "cases.shx", "cases.dbf", "cases.prj", "cases.cpg"} <= set(names) or \
            {"grids.shp", "grids.dbf", "grids.cpg"} <= set(names)
        path = next((tmp_path / "shp").glob("*.shp"))
    else:
        path = tmp_path / f"export.{fmt}"
        path.write_bytes(content)
    if fmt == "csv":
        path = f"CSV:{path}"  # GDAL reads the WKT column as the geometry
    return DataSource(str(path), encoding=encoding or "utf-8")[0], path


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_exports_cases_that_gdal_reads(data, tmp_path, fmt):
    r = client_for(data).get(f"/api/v1/export/cases.{fmt}")
    assert r.status_code == 200
    layer, path = read_back(tmp_path, fmt, body(r))
    assert len(layer) == 2
    feats = {f.get("cat_code"): f for f in layer}
    assert set(feats) == {"E0101", "C0103"}
    f = feats["C0103"]
    assert f.get("grid_code") == "320831101002002" and f.get("descr") == "路灯不亮"
    if fmt != "csv":
        assert f.geom.geom_type.name == "Point"
        assert abs(f.geom.x - 119.015) < 1e-6 and abs(f.geom.y - 33.005) < 1e-6
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True)
    assert info.returncode == 0 and "Feature Count: 2" in info.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_exports_grids_that_gdal_reads(data, tmp_path, fmt):
    r = client_for(data).get(f"/api/v1/export/grids.{fmt}", {"level": 4})
    assert r.status_code == 200
    layer, _ = read_back(tmp_path, fmt, body(r))
    names = sorted(f.get("name") for f in layer)
    assert names == ["北村一网格", "北村二网格", "南村一网格", "南村二网格"]


def test_it_writes_a_gbk_shapefile_with_a_cpg(data, tmp_path):
    r = client_for(data).get("/api/v1/export/cases.shp.zip", {"encoding": "gbk"})
    content = body(r)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        cpg = z.read("cases.cpg").decode().strip()
        dbf = z.read("cases.dbf")
    assert cpg in ("CP936", "936", "GBK")
    assert "路灯不亮".encode("gbk") in dbf
    layer, _ = read_back(tmp_path, "shp.zip", content)  # GDAL recodes from the .cpg to UTF-8
    assert "路灯不亮" in {f.get("descr") for f in layer}


def test_it_filters_like_the_case_list(data, tmp_path):
    c = client_for(data)
    r = c.get("/api/v1/export/cases.geojson", {"category": "C01"})
    layer, _ = read_back(tmp_path, "geojson", body(r))
    assert [f.get("cat_code") for f in layer] == ["C0103"]
    r = c.get("/api/v1/export/cases.csv", {"grid": "320831101001"})
    rows = list(csv.DictReader(io.StringIO(body(r).decode("utf-8-sig"))))
    assert [row["grid_code"] for row in rows] == ["320831101001001"]
    r = c.get("/api/v1/export/cases.csv", {"status": "nonsense"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "status"


def test_it_masks_personal_data_for_a_monitor_and_scopes_a_worker(data, worker):
    full = list(csv.DictReader(io.StringIO(body(client_for(data).get("/api/v1/export/cases.csv")).decode("utf-8-sig"))))
    assert "13812345678" in {r["cont_phone"] for r in full} and "王小明" in {r["cont_name"] for r in full}
    monitor = make_user("mon", Role.MONITOR)
    masked = list(csv.DictReader(io.StringIO(body(client_for(monitor).get("/api/v1/export/cases.csv")).decode("utf-8-sig"))))
    assert {r["cont_phone"] for r in masked} == {"138****5678", "021****6666"}
    assert "王**" in {r["cont_name"] for r in masked}
    # a grid worker with no assigned grids sees none of the dispatcher's cases
    r = client_for(worker).get("/api/v1/export/cases.geojson")
    assert b'"features":[\n\n]' in body(r)


def test_it_neutralises_formulas_in_csv(data):
    rows = list(csv.DictReader(io.StringIO(body(client_for(data).get("/api/v1/export/cases.csv")).decode("utf-8-sig"))))
    descr = {r["cat_code"]: r["descr"] for r in rows}
    assert descr["E0101"] == "'=HYPERLINK(\"http://x\")"
    assert all(not r["lon"].startswith("'") for r in rows)


def test_it_refuses_unknown_formats_and_anonymous_users(data):
    assert client_for(data).get("/api/v1/export/cases.kml").status_code == 400
    assert APIClient().get("/api/v1/export/cases.geojson").status_code in (401, 403)
