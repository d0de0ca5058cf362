"""What drivers are told about the convoy: the roster's publication (and taking it down again), and the
notices of slot changes that follow a published roster, batched so a burst of changes is one email.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events import emails
from events.models import Entry, Event, PendingNotice, Session


@transaction.atomic
def roster_publish(*, event: Event) -> Event:
    """Make the event's roster public; publishing again keeps the first publication time.

    Publishing (not re-publishing an already public roster) queues one email to each confirmed driver with
    their session(s), slot(s) and ticket(s) of sessions not yet over (a roster of the past mails nobody);
    notices still waiting for that event are then moot.
    """
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if not locked.roster_published:
        locked.roster_published = True
        locked.roster_published_at = timezone.now()
        locked.save(update_fields=["roster_published", "roster_published_at"])
        _tell_roster_published(locked)
    event.roster_published, event.roster_published_at = locked.roster_published, locked.roster_published_at
    return locked


@transaction.atomic
def roster_unpublish(*, event: Event) -> Event:
    """Take the roster off the public pages (e.g. to fix the order); the publication time is cleared, and
    notices of slot changes still waiting are dropped: nobody is told about slots meanwhile, and publishing
    again tells every driver where they are."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    locked.roster_published = False
    locked.roster_published_at = None
    locked.save(update_fields=["roster_published", "roster_published_at"])
    PendingNotice.objects.filter(event=locked).delete()
    event.roster_published, event.roster_published_at = False, None
    return locked


def _tell_roster_published(event: Event) -> None:
    by_driver: dict[int, list[Entry]] = {}
    entries = (
        Entry.objects.confirmed()
        .not_over()
        .filter(session__event=event, driver__isnull=False)
        .select_related("session__event", "car__colour", "driver")
        .order_by("driver_id", "session__starts_at", "session__pk")
    )
    for entry in entries:
        by_driver.setdefault(entry.driver_id, []).append(entry)
    for driver_entries in by_driver.values():
        emails.roster_published(driver_entries[0].driver, event, driver_entries)
    PendingNotice.objects.filter(event=event).delete()


# --- notices of slot changes --------------------------------------------------------------------------------


def _note_slot_changes(session: Session, changed: Sequence[Entry]) -> None:
    """Note the drivers of ``changed`` entries for a notice when the event's roster is published: one row
    per driver and event whose send time moves on with every change, so a burst of changes is one email.
    Not for a session that is over: renumbering the past (an organiser tidying up, the demo data) tells
    nobody anything."""
    drivers = {entry.driver_id for entry in changed if entry.driver_id}
    if not drivers or session.is_over:
        return
    if not Event.objects.filter(pk=session.event_id, roster_published=True).exists():
        return
    send_after = timezone.now() + settings.NOTICE_BATCH_WINDOW
    PendingNotice.objects.bulk_create(
        [PendingNotice(driver_id=driver, event_id=session.event_id, send_after=send_after) for driver in drivers],
        update_conflicts=True,
        unique_fields=["driver", "event"],
        update_fields=["send_after"],
    )


@transaction.atomic
def notices_send_due(*, now: datetime.datetime | None = None) -> int:
    """Send each driver whose slot changes have settled (``send_after`` passed) one email with their
    current session(s) and slot(s) in the event, and forget the notice; returns how many were sent.

    Rows are taken with SKIP LOCKED, so two workers never tell a driver twice; a notice whose driver has no
    confirmed entry left in the event is dropped without an email (the cancellation told them), and so is
    one whose sessions are over by the time it is due: the email lists only sessions not yet over.
    """
    now = now or timezone.now()
    due = list(
        # of=self: only the notices are this task's to lock; a locked driver or event row must neither skip a
        # notice nor be held against sign-ups while the emails are written.
        PendingNotice.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(send_after__lte=now)
        .select_related("driver", "event")
    )
    if not due:
        return 0
    wanted = Q()
    for notice in due:
        wanted |= Q(driver_id=notice.driver_id, session__event_id=notice.event_id)
    entries: dict[tuple[int, int], list[Entry]] = {}
    for entry in (
        Entry.objects.confirmed()
        .not_over(now)
        .filter(wanted)
        .select_related("session__event", "car__colour")
        .order_by("session__starts_at", "session__pk")
    ):
        entries.setdefault((entry.driver_id, entry.session.event_id), []).append(entry)
    sent = 0
    for notice in due:
        mine = entries.get((notice.driver_id, notice.event_id))
        if mine:
            emails.slots_changed(notice.driver, notice.event, mine)
            sent += 1
    PendingNotice.objects.filter(pk__in=[notice.pk for notice in due]).delete()
    return sent
