"""The events' task for the mail queue's worker: send the slot-change notices whose batch has settled."""

from __future__ import annotations

from django.db import close_old_connections
from procrastinate.contrib.django import app

from events import services


@app.periodic(cron="* * * * *")
@app.task(name="events.send_due_notices", queueing_lock="events.send_due_notices")
def send_due_notices(timestamp: int) -> None:
    """Every minute: a notice is sent at most a minute after its ten quiet minutes have passed."""
    close_old_connections()
    try:
        services.notices_send_due()
    finally:
        close_old_connections()
