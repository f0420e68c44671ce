"""Housekeeping of the job queue itself.

procrastinate does not hand back a job whose worker died (kill -9, OOM, power cut) in the middle of it:
the row stays in 'doing'. Workers send heartbeats; a job whose worker has not been heard of for
STALLED_AFTER_S seconds is put back in its queue. Every gridgov job is safe to run twice (the alert sweep
claims each alert once, deliveries are claimed rows, a hotline batch is idempotent by ticket number and
skipped when finished), so a retry finishes the work instead of repeating it."""
from procrastinate.contrib.django import app

from gridgov.conf import setting

STALLED_AFTER_S = 60


@app.periodic(cron="*/2 * * * *")
@app.task(queue="ops", name="ops.retry_stalled_jobs", queueing_lock="ops.retry_stalled_jobs")
async def retry_stalled_jobs(timestamp):
    seconds = float(setting("GRIDGOV_STALLED_JOB_AFTER_S", STALLED_AFTER_S, float))
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds)
    for job in stalled:
        await app.job_manager.retry_job(job)
    return {"retried": [job.id for job in stalled]}
