"""Daily housekeeping run by a real mail worker: old queue jobs, idle VIN-check counters (the retention job's) and
orphaned claim evidence go; whatever is recent or still referred to stays."""

from __future__ import annotations

import datetime
import os
import time

import pytest
from django.db import connection
from django.utils import timezone

from portal.models import RetentionRun
from register.models import VinCheckCounter, private_storage
from register.services import claim_create
from tests.factories import UserFactory, VerifiedCarFactory
from tests.outbox.smtp import wait_for
from tests.register.test_claims import document

pytestmark = pytest.mark.django_db(transaction=True)


def finished_job(status: str, *, days_ago: float) -> int:
    """A job that went from doing to ``status`` ``days_ago`` days ago: procrastinate's own trigger records
    the change as an event, which is then moved back in time."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status)"
            " VALUES ('default', 'outbox.deliver', '{\"message_id\": 0}', 'doing') RETURNING id"
        )
        job_id = cursor.fetchone()[0]
        cursor.execute("UPDATE procrastinate_jobs SET status = %s WHERE id = %s", [status, job_id])
        cursor.execute(
            "UPDATE procrastinate_events SET at = now() - make_interval(secs => %s) WHERE job_id = %s",
            [days_ago * 86400, job_id],
        )
    return job_id


def job_ids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM procrastinate_jobs")
        return {row[0] for row in cursor.fetchall()}


def counter(key: str, *, days_ago: float) -> VinCheckCounter:
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return VinCheckCounter.objects.create(
        kind=VinCheckCounter.Kind.ADDRESS, key=key, window_start=when, checks=1, last_check=when
    )


@pytest.mark.processes
def test_a_worker_removes_old_jobs_idle_counters_and_orphaned_evidence_and_keeps_the_rest(settings, workers):
    old_succeeded = finished_job("succeeded", days_ago=8)
    old_failed = finished_job("failed", days_ago=8)
    recent = finished_job("succeeded", days_ago=6)
    counter("192.0.2.1", days_ago=31)
    counter("192.0.2.2", days_ago=29)
    claim = claim_create(car=VerifiedCarFactory(), claimant=UserFactory(), evidence=document())
    referenced = claim.evidence.path
    orphan = private_storage.path(private_storage.save("claims/orphan.jpg", document()))
    young_orphan = private_storage.path(private_storage.save("claims/young.jpg", document()))
    two_hours_ago = time.time() - 7200
    for path in (referenced, orphan):
        os.utime(path, (two_hours_ago, two_hours_ago))

    workers.start(HOUSEKEEPING_CRON="* * * * * *", PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT))

    # The VIN-check counters are the retention job's (portal.tasks.retention), on the same schedule.
    wait_for(
        lambda: (
            old_succeeded not in job_ids()
            and not os.path.exists(orphan)
            and RetentionRun.objects.filter(finished__isnull=False).exists()
        ),
        timeout=30,
        what="old jobs and the orphaned evidence removed, a retention run recorded",
    )
    assert old_failed not in job_ids()
    assert recent in job_ids()
    assert list(VinCheckCounter.objects.values_list("key", flat=True)) == ["192.0.2.2"]
    assert os.path.exists(referenced) and os.path.exists(young_orphan)
