"""The events' tasks for the mail queue's worker: send the slot-change notices whose batch has settled; release
unpaid places at their deadline and send payment reminders; compose the mails of the entries a bank statement
paid."""

from __future__ import annotations

from django.db import close_old_connections
from procrastinate import RetryStrategy
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


@app.periodic(cron="*/5 * * * *")
@app.task(name="events.expire_unpaid_places", queueing_lock="events.expire_unpaid_places")
def expire_unpaid_places(timestamp: int) -> None:
    """Every five minutes: places whose payment deadline has passed are released (and the waitlist promoted),
    and the payment reminders that are due go out."""
    close_old_connections()
    try:
        services.entries_expire_overdue()
        services.payment_reminders_send()
    finally:
        close_old_connections()


@app.task(name="events.send_paid_mails", retry=RetryStrategy(max_attempts=5, exponential_wait=30))
def send_paid_mails() -> None:
    """Deferred by a statement import that paid entries (``services.entries_mark_paid``). A failure (the database
    gone for a moment) is tried again after 30 s, 15 min, …: the entries stay flagged until their mail is queued."""
    close_old_connections()
    try:
        services.paid_mails_send()
    finally:
        close_old_connections()
