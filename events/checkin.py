"""Reads for the check-in page at the gate: find a ticket, the car's entries of that day, the entry's other scans
at the gate, the counts. (The list a phone takes offline is built in ``events.gatelist``.)

Each is one query, so the page costs the same whatever the event's size (pinned in
tests/events/test_checkin.py). The state change itself is ``services.entry_check_in``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, Q, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from events import tickets
from events.models import Entry, Event, GateScan, Session

SEARCH_LIMIT = 30


def _entries():
    return Entry.objects.select_related(
        "session__event", "car__colour", "driver", "checked_in_by", "attention", "emergency_contact"
    )


def find_ticket(text: str) -> Entry | None:
    """The entry whose ticket token (what the QR code carries) or short code is ``text``, in any event."""
    text = (text or "").strip()
    if not text:
        return None
    code = tickets.normalise_code(text)
    query = Q()
    if "\x00" not in text:  # no token has one, and PostgreSQL refuses it in a query
        query |= Q(ticket_token=text)
    if len(code) == tickets.CODE_LENGTH:
        query |= Q(ticket_code=code)
    return _entries().filter(query).first() if query else None


def find_entry(event: Event, pk: int) -> Entry | None:
    """An entry of ``event`` by id (the organiser's own links, after a search or a check-in)."""
    return _entries().filter(pk=pk, session__event=event).first()


def search(event: Event, text: str) -> list[Entry]:
    """Entries of ``event`` matching a short code, a register number or slot (digits, ``#`` allowed),
    or part of a driver's name or a car's nickname: confirmed first, then waitlisted, then cancelled, each
    in session and slot order."""
    text = (text or "").strip()
    if not text:
        return []
    query = Q(driver__display_name__icontains=text) | Q(car__nickname__icontains=text)
    number = text.lstrip("#").strip()
    if number.isdecimal():
        query |= Q(car__register_number=int(number)) | Q(slot=int(number))
    code = tickets.normalise_code(text)
    if len(code) == tickets.CODE_LENGTH:
        query |= Q(ticket_code=code)
    return list(
        _entries()
        .filter(query, session__event=event)
        .annotate(
            rank=Case(
                When(status=Entry.Status.CONFIRMED, then=0), When(status=Entry.Status.WAITLISTED, then=1), default=2
            )
        )
        .order_by("rank", "session__starts_at", "session__pk", "slot", "pk")[:SEARCH_LIMIT]
    )


def same_day_entries(entry: Entry) -> list[Entry]:
    """The car's entries in the same event on the day of ``entry``'s session (in the event's time zone)."""
    day: datetime.date = timezone.localdate(entry.session.starts_at)
    return list(
        _entries()
        .filter(car_id=entry.car_id, session__event_id=entry.session.event_id)
        .annotate(day=TruncDate("session__starts_at", tzinfo=timezone.get_current_timezone()))
        .filter(day=day)
        .order_by("session__starts_at", "session__pk", "pk")
    )


def entry_scans(entry: Entry) -> list[GateScan]:
    """The entry's scans at the gate other than the one that checked it in, oldest first: a second phone's
    duplicate ("also scanned at Gate B at 07:43"), a refusal (cancelled after the phone's download)."""
    return list(
        GateScan.objects.filter(entry=entry)
        .exclude(outcome=GateScan.Outcome.CHECKED_IN)
        .select_related("by")
        .order_by("scanned_at", "pk")
    )


@dataclass
class SessionCount:
    id: int
    name: str
    checked_in: int
    confirmed: int


def session_counts(event: Event) -> list[SessionCount]:
    """Checked in / confirmed per session of the event, in one query."""
    sessions = (
        Session.objects.filter(event=event)
        .annotate(
            n_confirmed=Count("entries", filter=Q(entries__status=Entry.Status.CONFIRMED)),
            n_checked_in=Count(
                "entries",
                filter=Q(entries__status=Entry.Status.CONFIRMED, entries__checked_in_at__isnull=False),
            ),
        )
        .order_by("starts_at", "pk")
    )
    return [SessionCount(s.pk, s.name, s.n_checked_in, s.n_confirmed) for s in sessions]
