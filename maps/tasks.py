"""Background jobs of the map wall (procrastinate, `manage.py procrastinate worker`)."""
from django.db import close_old_connections
from procrastinate.contrib.django import app

from . import rankings


@app.periodic(cron="*/10 * * * *")
@app.task(queue="maps", name="maps.refresh_rankings", queueing_lock="maps.refresh_rankings")
def refresh_rankings(timestamp):
    """Every 10 minutes: the wall's 三率 rankings from gridgov.evaluation (seconds at a million cases)."""
    close_old_connections()
    try:
        data = rankings.refresh()
        return {"departments": len(data["departments"]), "streets": len(data["streets"])} if data else {}
    finally:
        close_old_connections()
