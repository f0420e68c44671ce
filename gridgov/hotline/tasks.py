"""Background job: a 12345 batch uploaded in the admin is imported by the procrastinate worker (not a thread
in the web process), so a web restart does not lose it and a crashed import can be run again: tickets are
idempotent by number, so a second run skips what the first one wrote."""
from django.contrib.auth import get_user_model
from django.db import close_old_connections
from procrastinate.contrib.django import app

from gridgov.core.errors import FieldError

from .actions import do_run_batch
from .models import BatchStatus, HotlineBatch


@app.task(queue="imports", name="hotline.run_batch")
def run_batch(batch_id, user_id):
    close_old_connections()
    try:
        batch = HotlineBatch.objects.filter(pk=batch_id).first()
        if batch is None or batch.status in (BatchStatus.DONE, BatchStatus.FAILED):
            return {"batch": batch_id, "skipped": True}  # gone, or already finished by an earlier run
        user = get_user_model().objects.get(pk=user_id)
        try:
            do_run_batch(user, batch)
        except FieldError:
            pass  # the reason is recorded on the batch (status failed, message) for the admin page
        except Exception as exc:
            HotlineBatch.objects.filter(pk=batch_id).update(status=BatchStatus.FAILED, message=str(exc)[:2000])
            raise
        return {"batch": batch_id, "status": HotlineBatch.objects.get(pk=batch_id).status}
    finally:
        close_old_connections()
