"""Quick version of the load proof (issue 7 item 1; the full run is bench/verify/10-load.sh): 10 grid
workers reporting cases with photos and 3 responders working their queues for 15 s against a live
gunicorn and background worker, then every answered case checked in the database and on disk."""
from tests.load_helpers import run_harness


def test_it_serves_workers_and_responders_without_errors_or_lost_cases(tmp_path):
    result, proc = run_harness(tmp_path, "--duration", "15", "--no-targets")
    detail = proc.stdout[-3000:]
    assert result["failed_checks"] == [], detail
    assert result["error_rate"] == 0, detail
    cases = result["cases"]
    assert cases["answered_201"] >= 5, detail
    assert cases["in_db"] == cases["reports"] and cases["duplicates"] == 0 and cases["missing_files"] == 0
    assert cases["photos_checked"] >= cases["answered_201"]  # every report carried at least one photo
    # the responders really worked their queues: list, open, accept
    for name in ("GET /api/v1/dispatches/", "GET /api/v1/dispatches/<id>/", "POST accept"):
        assert result["requests"].get(name, {}).get("requests", 0) > 0, (name, detail)
    assert result["ok"], detail
