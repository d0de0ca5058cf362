"""Emails to drivers about their entries, each rendered from a text and an HTML template.

They are sent after the transaction commits (``transaction.on_commit`` in events.services), so a rolled
back change never mails anyone.
"""

from __future__ import annotations

from events.models import Entry, Session
from register.emails import send


def _context(entry: Entry, **extra) -> dict:
    session = entry.session
    return {
        "entry": entry,
        "session": session,
        "event": session.event,
        "car": entry.car,
        "driver": entry.driver,
        # The slot is a place in the line behind the pace car: only worth telling for a convoy.
        "show_slot": session.kind == Session.Kind.CONVOY and entry.slot is not None,
        **extra,
    }


def _send(template: str, entry: Entry, **extra) -> None:
    if entry.driver is None:
        return
    send(f"events/email/{template}", to=[entry.driver.email], context=_context(entry, **extra))


def entry_confirmed(entry: Entry) -> None:
    _send("entry_confirmed", entry)


def entry_waitlisted(entry: Entry, *, position: int | None) -> None:
    _send("entry_waitlisted", entry, position=position)


def entry_promoted(entry: Entry) -> None:
    _send("entry_promoted", entry)


def entry_cancelled(entry: Entry) -> None:
    _send("entry_cancelled", entry)
