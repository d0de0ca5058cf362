"""The outbox's procrastinate tasks: deliver one message; put back the jobs of a worker that died; forget
finished jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import close_old_connections
from procrastinate import BaseRetryStrategy, JobContext, RetryDecision, builtin_tasks
from procrastinate.contrib.django import app

from outbox import services


class DeliveryRetry(BaseRetryStrategy):
    """Retry temporary failures only, waiting MAIL_RETRY_WAIT × 2^attempts, at most MAIL_RETRY_MAX_WAIT.

    How long to keep trying is the outbox's decision (``MAIL_GIVE_UP_AFTER``, in ``message_deliver``).
    """

    def get_retry_decision(self, *, exception, job):
        if not isinstance(exception, services.TemporaryFailure):
            return None
        wait = min(settings.MAIL_RETRY_WAIT * 2**job.attempts, settings.MAIL_RETRY_MAX_WAIT)
        return RetryDecision(retry_in={"seconds": wait.total_seconds()})


@app.task(name="outbox.deliver", retry=DeliveryRetry())
def deliver(message_id: int) -> None:
    # Sync tasks run in a worker thread: keep its Django connection fresh, as a request would.
    close_old_connections()
    try:
        services.message_deliver(message_id=message_id)
    finally:
        close_old_connections()


@app.periodic(cron=settings.MAIL_STALLED_CHECK_CRON)
@app.task(name="outbox.retry_stalled_jobs", queueing_lock="outbox.retry_stalled_jobs")
async def retry_stalled_jobs(timestamp: int) -> None:
    """A worker killed mid-job (SIGKILL, power cut) stops its heartbeat; its jobs are run again.

    The procrastinate documentation's recipe ("Retry stalled jobs"). A message being sent when its
    worker died may reach the server twice, with the same Message-ID.
    """
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.MAIL_STALLED_AFTER.total_seconds()
    )
    for job in stalled:
        await app.job_manager.retry_job(job)


@app.periodic(cron=settings.HOUSEKEEPING_CRON)
@app.task(name="outbox.remove_finished_jobs", queueing_lock="outbox.remove_finished_jobs", pass_context=True)
async def remove_finished_jobs(context: JobContext, timestamp: int) -> None:
    """Finished jobs (the periodic ones make two a minute) are deleted after QUEUE_JOBS_KEPT_HOURS.

    procrastinate's own cleanup task; failed jobs go too, since the outbox row keeps every failed mail's
    error and "Send again" queues a new job.
    """
    await builtin_tasks.remove_old_jobs(
        context,
        max_hours=settings.QUEUE_JOBS_KEPT_HOURS,
        remove_failed=True,
        remove_cancelled=True,
        remove_aborted=True,
    )
