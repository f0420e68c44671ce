"""Re-drawn grids: importing a file that describes a unit completely retires the units missing from it."""
import io

import pytest
from django.core.management import CommandError, call_command

from gridgov.accounts.models import Role
from gridgov.core.errors import FieldError
from gridgov.grids.actions import do_upsert_units
from gridgov.grids.locate import locate
from gridgov.grids.models import GridBoundary, GridUnit
from tests.data_builders import C1, C2, D, TOWN, X0, Y0, feature, polygon, small_county, write_geojson
from tests.factories import make_case, make_user, seed_test_categories

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("import_grids", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def redrawn_county():
    """Community 2 re-drawn as one grid (its two grids merged into 003)."""
    features = [f for f in small_county() if not f["properties"]["code"].startswith(C2 + "00")]
    features.append(feature(C2 + "003", "南村合并网格", polygon(X0, Y0, X0 + 2 * D, Y0 + D)))
    return features


def test_it_retires_units_missing_from_a_file_that_describes_their_parent(tmp_path):
    run(write_geojson(tmp_path / "v1.geojson", small_county()))
    worker = make_user("w", Role.GRID_WORKER)
    seed_test_categories()
    old_case = make_case(worker, lon=X0 + D / 2, lat=Y0 + D / 2, category="E0101")
    assert old_case.grid.code == C2 + "001"
    out = run(write_geojson(tmp_path / "v2.geojson", redrawn_county()), "--retire-missing-under", TOWN)
    assert "retired 2" in out and "1 open cases are in them" in out
    gone = GridUnit.objects.filter(code__in=[C2 + "001", C2 + "002"])
    assert not any(u.is_active for u in gone)
    assert not GridBoundary.objects.filter(unit__in=gone, valid_to__isnull=True).exists()
    assert GridUnit.objects.filter(is_active=True).count() == 7  # county, town, 2 communities, 3 grids
    assert locate(X0 + D / 2, Y0 + D / 2).unit.code == C2 + "003"
    old_case.refresh_from_db()
    assert old_case.grid.code == C2 + "001"  # filed there, stays there


def test_a_retired_unit_that_comes_back_gets_a_current_boundary_again(tmp_path):
    run(write_geojson(tmp_path / "v1.geojson", small_county()))
    run(write_geojson(tmp_path / "v2.geojson", redrawn_county()), "--retire-missing-under", TOWN)
    run(write_geojson(tmp_path / "v1b.geojson", small_county()), "--retire-missing-under", TOWN)
    back = GridUnit.objects.get(code=C2 + "001")
    assert back.is_active and back.boundaries.filter(valid_to__isnull=True).count() == 1
    assert not GridUnit.objects.get(code=C2 + "003").is_active
    assert locate(X0 + D / 2, Y0 + D / 2).unit.code == C2 + "001"


def test_without_the_option_nothing_is_retired(tmp_path):
    run(write_geojson(tmp_path / "v1.geojson", small_county()))
    out = run(write_geojson(tmp_path / "v2.geojson", redrawn_county()))
    assert "retired 0" in out
    assert GridUnit.objects.filter(is_active=True).count() == 9


def test_a_dry_run_retires_nothing_and_an_unknown_scope_is_refused(tmp_path):
    run(write_geojson(tmp_path / "v1.geojson", small_county()))
    out = run(write_geojson(tmp_path / "v2.geojson", redrawn_county()), "--retire-missing-under", C1, "--dry-run")
    assert "dry run" in out and GridUnit.objects.filter(is_active=True).count() == 8
    with pytest.raises(CommandError) as exc:
        run(write_geojson(tmp_path / "v3.geojson", redrawn_county()), "--retire-missing-under", "320831999")
    assert "320831999" in str(exc.value) and not GridUnit.objects.filter(code=C2 + "003").exists()
    with pytest.raises(FieldError) as exc:
        do_upsert_units([], retire_under="999999")
    assert exc.value.field == "retire_under"
