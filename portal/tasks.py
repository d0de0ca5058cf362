"""Portal's task for the mail queue's worker: the daily retention job (HOUSEKEEPING_CRON)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import close_old_connections
from procrastinate.contrib.django import app

from portal.privacy.retention import retention_run

logger = logging.getLogger(__name__)


@app.periodic(cron=settings.HOUSEKEEPING_CRON)
@app.task(name="portal.retention", queueing_lock="portal.retention")
def retention(timestamp: int) -> None:
    """Erase the personal data whose time is up (``portal/privacy/retention.py``); the run is recorded."""
    close_old_connections()
    try:
        run = retention_run()
        logger.info("retention: %s", run.counts)
    finally:
        close_old_connections()
