"""Runs bench/load/harness.py small, for the quick CI versions of the load and crash proofs."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--workers", "10", "--responders", "3", "--timed", "4", "--pace", "0.15",
         "--sweep-cron", "* * * * * */5", "--spawn-rate", "13"]


def run_harness(tmp_path, *extra, timeout=420):
    """The harness on its own database (<test db>_load, a copy of a seeded template kept between runs)
    against a live gunicorn + procrastinate worker; returns (result dict, completed process)."""
    db = os.environ.get("GRIDGOV_TEST_DB", "test_gridgov") + "_load"
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench/load/harness.py"), *QUICK, "--db", db,
                           "--out", str(out), *extra], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert out.exists(), f"harness wrote no result:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(out.read_text()), proc
