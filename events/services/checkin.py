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

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.gate import GateScan, event_gate_closes
from events.models import Entry, Event
from events.services._base import EntryError, _audited, _lock_session, _save_entries
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
    """What became of a queued scan: its recorded outcome (refused and not recorded: no such entry) and the
    words the gate shows, the same as online."""

    nonce: uuid.UUID
    entry_id: int
    outcome: str
    message: str
    checked_in_at: datetime.datetime | None


_SCAN_ENTRY = ("entry__session__event", "entry__car", "entry__checked_in_by")
_ATTEMPTS = 3


def gate_sync(*, event: Event, scans: Sequence[QueuedScan], by: User | None, device: str) -> list[ScanResult]:
    """Record a phone's queued scans at ``event``'s gate and return what became of each, in order.

    A scan already recorded (the same nonce: a resend, or the same scan twice in the queue) returns its recorded
    outcome and changes nothing. The rest are decided under their entries' row locks (``_record``, one
    transaction for the upload: its rules are there). Should two uploads deadlock (PostgreSQL ends one) or race
    with the same nonce for different entries (the unique index refuses the second), the refused one runs again
    and finds what the other recorded."""
    known = _recorded([s.nonce for s in scans])
    pending = [s for s in scans if s.nonce not in known]
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            known.update(_record(event=event, scans=pending, by=by, device=device) if pending else {})
            break
        except (IntegrityError, OperationalError) as error:
            deadlock = getattr(error.__cause__, "sqlstate", None) == "40P01"
            if attempt == _ATTEMPTS or not (isinstance(error, IntegrityError) or deadlock):
                raise
    results = []
    for queued in scans:
        scan = known.get(queued.nonce)
        if scan is None:
            message = _("No ticket matches this code. Check the code or search by name or number.")
            results.append(ScanResult(queued.nonce, queued.entry_id, GateScan.Outcome.REFUSED, message, None))
            continue
        checked_in_at = scan.entry.checked_in_at if scan.reason != Reason.OTHER_EVENT else None
        results.append(
            ScanResult(scan.nonce, scan.entry_id, scan.outcome, scan_message(scan, event=event), checked_in_at)
        )
    return results


def _recorded(nonces: list[uuid.UUID]) -> dict[uuid.UUID, GateScan]:
    return {s.nonce: s for s in GateScan.objects.filter(nonce__in=nonces).select_related(*_SCAN_ENTRY)}


@transaction.atomic
def _record(*, event: Event, scans: Sequence[QueuedScan], by: User | None, device: str) -> dict[uuid.UUID, GateScan]:
    """Decide and record ``scans`` (none known when read), in queue order, under their entries' row locks.

    - The entries are locked in one statement, in id order (two uploads lock in the same order, so they wait for
      each other rather than deadlock), and the nonces read again once locked: an upload of the same scans that
      held the locks first has committed, and its records are the answer.
    - A scan's time is the phone's, but never later than now (a phone's clock may be ahead).
    - Uploaded after the gate closed (a day after the event's end, ``event_gate_closes``): refused.
    - An entry of another event, or not confirmed (cancelled after the phone's download, waitlisted, awaiting
      payment, expired): refused, in the words of the online page.
    - A confirmed entry not yet checked in: checked in at the scan's time by ``by`` (audited, "checked in").
    - One already checked in: a duplicate, kept and flagged; unless this scan is earlier than the check-in (an
      out-of-order upload), which then moves the check-in back to this scan ("checked in: an earlier scan") and
      turns the scan that had checked it in into the duplicate, so the check-in time is always the first scan's.
    - No such entry: nothing recorded (the view says "no ticket matches").
    """
    now = timezone.now()
    _ends_at, closes = event_gate_closes(event, list(event.sessions.values_list("ends_at", flat=True)))
    locked = (
        Entry.objects.select_for_update(of=("self",))
        .select_related("car", "session__event", "checked_in_by")
        .filter(pk__in={s.entry_id for s in scans})
        .order_by("pk")
    )
    entries = {entry.pk: entry for entry in locked}
    known = _recorded([s.nonce for s in scans])
    new: dict[uuid.UUID, GateScan] = {}
    check_ins: dict[int, GateScan] = {}  # entry → the scan of this upload that checks it in
    demote: set[int] = set()  # entries whose recorded check-in scan becomes a duplicate
    for queued in scans:
        entry = entries.get(queued.entry_id)
        if entry is None or queued.nonce in known or queued.nonce in new:
            continue
        at = min(queued.scanned_at, now)
        outcome, reason = GateScan.Outcome.REFUSED, Reason.NONE
        if now > closes:
            reason = Reason.TOO_LATE
        elif entry.session.event_id != event.pk:
            reason = Reason.OTHER_EVENT
        elif entry.status in _REFUSALS:
            reason = _REFUSALS[entry.status][0]
        elif entry.checked_in_at is not None and at >= entry.checked_in_at:
            outcome, reason = GateScan.Outcome.DUPLICATE, Reason.ALREADY
        else:
            outcome = GateScan.Outcome.CHECKED_IN
            earlier = check_ins.get(entry.pk)
            if earlier is not None:  # this upload checked it in with a later scan: that one is the duplicate
                earlier.outcome, earlier.reason = GateScan.Outcome.DUPLICATE, Reason.ALREADY
            elif entry.checked_in_at is not None:
                demote.add(entry.pk)
            entry.checked_in_at, entry.checked_in_by = at, by
        record = GateScan(
            nonce=queued.nonce,
            event=event,
            entry=entry,
            scanned_at=at,
            received_at=now,
            by=by,
            device=device,
            outcome=outcome,
            reason=reason,
        )
        new[queued.nonce] = record
        if outcome == GateScan.Outcome.CHECKED_IN:
            check_ins[entry.pk] = record
    if demote:
        GateScan.objects.filter(entry_id__in=demote, outcome=GateScan.Outcome.CHECKED_IN).update(
            outcome=GateScan.Outcome.DUPLICATE, reason=Reason.ALREADY
        )
    GateScan.objects.bulk_create(new.values())
    _save_entries(
        [
            _audited(
                entries[pk],
                by=by,
                reason=gettext_lazy("checked in: an earlier scan") if pk in demote else gettext_lazy("checked in"),
            )
            for pk in check_ins
        ],
        ["checked_in_at", "checked_in_by"],
    )
    return {**known, **new}


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
