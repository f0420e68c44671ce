"""Settings of the servers the load and crash proofs start: the project's, plus how often the alert sweep
runs (LOAD_SWEEP_CRON; procrastinate takes a sixth field for seconds, e.g. "* * * * * */5" in the quick
CI versions, which cannot wait a minute for each sweep)."""
import os

from gridgov.settings import *

GRIDGOV_ALERTS_SWEEP_CRON = os.environ.get("LOAD_SWEEP_CRON", "* * * * *")
