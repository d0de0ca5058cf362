"""The register's task for the mail queue's worker: daily housekeeping (HOUSEKEEPING_CRON)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections
from procrastinate.contrib.django import app

from register import services

logger = logging.getLogger(__name__)


@app.periodic(cron=settings.HOUSEKEEPING_CRON)
@app.task(name="register.housekeeping", queueing_lock="register.housekeeping")
def housekeeping(timestamp: int) -> None:
    """Delete claim evidence no claim refers to. (Idle VIN-check counters are the retention job's, with the
    other time limits of personal data: ``portal/privacy/retention.py``.)"""
    close_old_connections()
    try:
        files = services.claim_evidence_orphans_delete()
        logger.info("housekeeping: %d orphaned evidence files deleted", len(files))
    finally:
        close_old_connections()
