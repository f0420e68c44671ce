"""Background jobs (procrastinate, on the same PostgreSQL; `manage.py procrastinate worker`)."""
from django.db import close_old_connections
from procrastinate.contrib.django import app

from .delivery import deliver_pending


@app.task(queue="notifications", name="notifications.deliver")
def deliver_notifications(delivery_ids):
    """Send these deliveries now (deferred when the action that notified commits)."""
    close_old_connections()
    try:
        return deliver_pending(ids=delivery_ids)
    finally:
        close_old_connections()


@app.periodic(cron="* * * * *")
@app.task(queue="notifications", name="notifications.retry", queueing_lock="notifications.retry")
def retry_deliveries(timestamp):
    """Every minute: whatever is pending and due — retries after a failure, and rows whose job was lost."""
    close_old_connections()
    try:
        total = {}
        while True:
            counts = deliver_pending()
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
            if sum(counts.values()) == 0:
                return total
    finally:
        close_old_connections()
