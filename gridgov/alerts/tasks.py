"""Background jobs (procrastinate on the same PostgreSQL: `manage.py procrastinate worker`, started by
`make run` and by the docker-compose `worker` service)."""
from django.db import close_old_connections
from procrastinate.contrib.django import app

from . import conf
from .jobs import run_sweep


@app.periodic(cron=conf.sweep_cron())
@app.task(queue="alerts", name="alerts.sweep", queueing_lock="alerts.sweep")
def sweep_alerts(timestamp):
    """Every minute: near-overdue reminders to the departments, overdue escalation (督办) to the command
    centre. Safe with several workers (each alert is claimed once) and after a restart (nothing claimed
    is lost: claims commit with the notifications)."""
    close_old_connections()
    try:
        result = run_sweep()
        return {"candidates": result.candidates, "sent": len(result.sent), "failed": result.failed}
    finally:
        close_old_connections()
