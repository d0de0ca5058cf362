"""The check-in at the gate: a confirmed car is checked in once, audited with who did it and when, and every
scan is recorded (``events.gate.GateScan``).

Two ways in. Online, the check-in page's button (``entry_check_in``) refuses a second check-in at once. Offline,
a phone decides by itself and queues its scans; ``gate_sync`` records them when the phone is back online, each
with its own nonce, the phone's time and the device: a resend is recognised by its nonce and changes nothing, a
second scan of a car already in is kept as a flagged duplicate rather than refused (the gates could not know of
each other), and the car's check-in time is its earliest scan, whatever order the phones upload in.

The gate page's reads (find a ticket, the day's counts, the offline list) live in ``events.checkin`` and
``events.gatelist``; these are the state changes.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.gate import GateScan, event_gate_closes
from events.models import Entry, Event
from events.services._base import EntryError, _audited, _lock_session
from register.models import User

Reason = GateScan.Reason

# Why an entry that is not confirmed cannot be checked in, in the words of the online page's refusal.
_REFUSALS = {
    Entry.Status.WAITLISTED: (
        Reason.WAITLISTED,
        gettext_lazy("This car is on the waitlist: it has no place in this session and cannot be checked in."),
    ),
    Entry.Status.AWAITING_PAYMENT: (
        Reason.AWAITING_PAYMENT,
        gettext_lazy("This entry is awaiting payment: it has no valid ticket until the fee is paid."),
    ),
    Entry.Status.EXPIRED: (
        Reason.EXPIRED,
        gettext_lazy("This entry has expired: its fee was not paid by the deadline, so it has no valid ticket."),
    ),
    Entry.Status.CANCELLED: (Reason.CANCELLED, gettext_lazy("This entry is cancelled: it cannot be checked in.")),
}


class AlreadyCheckedIn(EntryError):
    """The car was checked in before; the message says when and by whom."""


def _lock_entry(pk: int) -> Entry | None:
    """The entry as committed, its row locked until the end of the transaction: the one lock the check-in
    relies on (the services that change an entry's status write its row, so they wait for it or it for them)."""
    return (
        Entry.objects.select_for_update(of=("self",))
        .select_related("car", "driver", "session__event", "checked_in_by")
        .filter(pk=pk)
        .first()
    )


def _check_in(entry: Entry, *, at: datetime.datetime, by: User | None, reason) -> None:
    entry.checked_in_at = at
    entry.checked_in_by = by
    _audited(entry, by=by, reason=reason).save(update_fields=["checked_in_at", "checked_in_by"])


@transaction.atomic
def entry_check_in(*, entry: Entry, by: User | None) -> Entry:
    """Check a confirmed car in, once; audited with who did it, recorded as a scan of the check-in page. Any
    day: gates open the evening before too.

    A waitlisted, awaiting payment, expired or cancelled entry has no valid ticket and is refused; a second
    check-in is refused with the time and the organiser of the first (``AlreadyCheckedIn``).
    """
    _lock_session(entry.session_id)
    entry = _lock_entry(entry.pk)
    if entry.status in _REFUSALS:
        raise EntryError(str(_REFUSALS[entry.status][1]))
    if entry.checked_in_at is not None:
        raise AlreadyCheckedIn(checked_in_message(entry))
    now = timezone.now()
    _check_in(entry, at=now, by=by, reason=gettext_lazy("checked in"))
    GateScan.objects.create(
        nonce=uuid.uuid4(),
        event_id=entry.session.event_id,
        entry=entry,
        scanned_at=now,
        received_at=now,
        by=by,
        online=True,
        outcome=GateScan.Outcome.CHECKED_IN,
    )
    return entry


def checked_in_message(entry: Entry) -> str:
    """ "Already checked in at 09:12 by Orla Organiser." (needs ``checked_in_by`` loaded for one query less)."""
    when = timezone.localtime(entry.checked_in_at).strftime("%H:%M")
    if entry.checked_in_by_id is None:
        return _("Already checked in at %(time)s.") % {"time": when}
    return _("Already checked in at %(time)s by %(organiser)s.") % {"time": when, "organiser": entry.checked_in_by}


# --- the phones' queued scans --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedScan:
    """One scan a phone made, as the sync endpoint read it: its nonce, the entry, the phone's time (aware)."""

    nonce: uuid.UUID
    entry_id: int
    scanned_at: datetime.datetime


@dataclass(frozen=True)
class ScanResult:
    """What became of a queued scan: its recorded outcome (or None: no such entry, nothing recorded) and the
    words the gate shows, the same as online."""

    nonce: uuid.UUID
    entry_id: int
    outcome: str
    message: str
    checked_in_at: datetime.datetime | None


def gate_sync(*, event: Event, scans: Sequence[QueuedScan], by: User | None, device: str) -> list[ScanResult]:
    """Record a phone's queued scans at ``event``'s gate, each in a transaction of its own (``gate_scan_record``)
    and return what became of each, in order. A scan already recorded (the same nonce: a resend, or the same
    scan twice in the queue) returns its recorded outcome and changes nothing."""
    sessions_end = list(event.sessions.values_list("ends_at", flat=True))
    _ends_at, closes = event_gate_closes(event, sessions_end)
    recorded = {
        scan.nonce: scan
        for scan in GateScan.objects.filter(nonce__in=[s.nonce for s in scans]).select_related(
            "entry__session__event", "entry__car", "entry__checked_in_by", "by"
        )
    }
    results = []
    for queued in scans:
        scan = recorded.get(queued.nonce)
        if scan is None:
            scan = gate_scan_record(event=event, scan=queued, by=by, device=device, closes=closes)
            if scan is not None:
                recorded[queued.nonce] = scan
        if scan is None:
            message = _("No ticket matches this code. Check the code or search by name or number.")
            results.append(ScanResult(queued.nonce, queued.entry_id, GateScan.Outcome.REFUSED, message, None))
            continue
        checked_in_at = scan.entry.checked_in_at if scan.reason != Reason.OTHER_EVENT else None
        results.append(
            ScanResult(scan.nonce, scan.entry_id, scan.outcome, scan_message(scan, event=event), checked_in_at)
        )
    return results


@transaction.atomic
def gate_scan_record(
    *, event: Event, scan: QueuedScan, by: User | None, device: str, closes: datetime.datetime
) -> GateScan | None:
    """Record one queued scan at ``event``'s gate under the entry's row lock; None when no such entry exists.

    - Its time is the phone's, but never later than now (a phone's clock may be ahead).
    - Uploaded after ``closes`` (a day after the event's end): refused, the entry untouched.
    - An entry of another event, or not confirmed (cancelled after the phone's download, waitlisted, awaiting
      payment, expired): refused, in the words of the online page.
    - A confirmed entry not yet checked in: checked in at the scan's time by ``by`` (audited, "checked in").
    - One already checked in: a duplicate, kept and flagged; unless this scan is earlier than the check-in (an
      out-of-order upload), which then moves the check-in back to this scan ("checked in: an earlier scan") and
      turns the later scan into the duplicate, so the check-in time is always the first scan's.
    - The nonce is unique in the database: the same scan raced in from two requests is recorded once (the
      second waits for the entry's lock, fails on the nonce inside a savepoint and returns the first's record).
    """
    entry = _lock_entry(scan.entry_id)
    if entry is None:
        return None
    now = timezone.now()
    at = min(scan.scanned_at, now)
    outcome, reason, earlier = GateScan.Outcome.REFUSED, Reason.NONE, False
    if now > closes:
        reason = Reason.TOO_LATE
    elif entry.session.event_id != event.pk:
        reason = Reason.OTHER_EVENT
    elif entry.status in _REFUSALS:
        reason = _REFUSALS[entry.status][0]
    elif entry.checked_in_at is None or at < entry.checked_in_at:
        outcome, earlier = GateScan.Outcome.CHECKED_IN, entry.checked_in_at is not None
    else:
        outcome, reason = GateScan.Outcome.DUPLICATE, Reason.ALREADY
    record = GateScan(
        nonce=scan.nonce,
        event=event,
        entry=entry,
        scanned_at=at,
        received_at=now,
        by=by,
        device=device,
        outcome=outcome,
        reason=reason,
    )
    try:
        with transaction.atomic():
            if earlier:  # the scan that checked it in so far is now the duplicate
                GateScan.objects.filter(entry=entry, outcome=GateScan.Outcome.CHECKED_IN).update(
                    outcome=GateScan.Outcome.DUPLICATE, reason=Reason.ALREADY
                )
            record.save(force_insert=True)
    except IntegrityError:
        # The same nonce, recorded meanwhile by another request (committed: the unique index waited for it).
        first = (
            GateScan.objects.select_related("entry__session__event", "entry__car", "entry__checked_in_by")
            .filter(nonce=scan.nonce)
            .first()
        )
        if first is None:  # not the nonce: a constraint guarding what the lock already ensures
            raise
        return first
    if outcome == GateScan.Outcome.CHECKED_IN:
        reason_text = gettext_lazy("checked in: an earlier scan") if earlier else gettext_lazy("checked in")
        _check_in(entry, at=at, by=by, reason=reason_text)
    record.entry = entry
    return record


def scan_message(scan: GateScan, *, event: Event) -> str:
    """What the gate shows for a recorded scan, in the reader's language and the online page's words (needs the
    scan's entry with its session, event, car and ``checked_in_by`` loaded)."""
    entry = scan.entry
    if scan.outcome == GateScan.Outcome.CHECKED_IN:
        return _("Checked in: %(car)s, %(session)s.") % {"car": entry.car, "session": entry.session.name}
    if scan.outcome == GateScan.Outcome.DUPLICATE:
        return checked_in_message(entry)
    if scan.reason == Reason.TOO_LATE:
        return _("Uploaded too late: this gate took queued scans until a day after the event's end.")
    if scan.reason == Reason.OTHER_EVENT:
        return _("This ticket is for %(other)s, not for %(event)s.") % {
            "other": entry.session.event.name,
            "event": event.name,
        }
    return str(next(words for reason, words in _REFUSALS.values() if reason == scan.reason))
