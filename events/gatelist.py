"""The gate's check-in list, for a phone to decide offline (``GET /events/<slug>/check-in/list.json``).

**What a phone gets.** Each entry of the event with only what the check-in page shows of it (session, slot,
status, the car's colour, register number and nickname, the driver's name as the public roster shows it, the
check-in time) and two hashes instead of the ticket's secrets: ``token_hash``, the first 32 hex digits of
SHA-256(salt‖token), and ``code_hash``, the first 6 hex digits of SHA-256(salt‖short code) — the salt's bytes (it
is sent in hex) followed by the text's UTF-8 bytes. The phone hashes what it scans or what is typed the same way
and looks it up. The code's hash is deliberately short: 24 bits, so each value fits about 39,000 of the 30⁸
possible codes and a stolen phone cannot search the code space for the codes that let a car in; a typed code still
finds its entry, and the gate sees the car to confirm. So that the phone can say "another event", the active
tickets (confirmed, awaiting payment, waitlisted) that the cars and drivers of this event hold for other current
and upcoming events come along too, as token hashes only: a driver showing next month's ticket by mistake is told
so. Not every ticket of every other event: a stranger's ticket of another event is "no ticket matches" offline
(refused all the same), and the list of a 105-car event stays small whatever else is upcoming. The salt is
the event's own (derived from ``SECRET_KEY``: stable, no column), so a list's hashes match no other event's.

**Declarations.** In a session that needs one, an entry also says where its declaration stands
(``declaration_fields``): the gate shows it in large type offline as online.

**The cursor.** A phone online asks every little while for what changed since its last download
(``?since=<cursor>``) rather than the whole list. What changed is read from ``Entry.changed_at``, which a database
trigger sets to ``clock_timestamp()`` on every insert and update of an entry (migration ``events/0009``), so no
write can slip past it: a service's ``save()``, ``QuerySet.update`` (the expiry of unpaid places), ``bulk_update``
(a convoy renumbered, a statement's payments), the admin, plain SQL. The cursor is the database's clock when the
list was read; the next delta sends every entry changed since **the cursor minus ``OVERLAP``** (two minutes),
because a transaction that wrote an entry just before a list was read but committed just after it carries a
``changed_at`` before the cursor and was not yet visible: the overlap sends it the next time. The phone applies a
repeated entry again, which changes nothing. (A write whose transaction stays open longer than the overlap could
still be missed until the next full download, which every opening of the page online makes.) What lives outside the
entry row — a car's new nickname, a driver's new public name — comes with the next full download.

**What only the organisers need.** An entry's attention note and the driver's emergency contact
(``gate_notes``): the list is the organisers' alone (``views_gate._gate_json``), and a phone drops it a day after
the event (``drop_after``).

**The cost.** A constant number of queries whatever the event's size (pinned in tests/events/test_gate_list.py):
the clock, the sessions, the entries (with their cars, colours and drivers in one join), their attention notes and
emergency contacts, the tickets of the same cars and drivers at other events.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from phonenumber_field.phonenumber import to_python

from events import tickets
from events.attention import phone_dialled, phone_shown
from events.declaration_status import declaration_states
from events.gate import event_gate_closes
from events.models import Entry, Event, Session

OVERLAP = datetime.timedelta(minutes=2)
TOKEN_HASH_LENGTH = 32  # hex digits: 128 bits, no two tickets share one
CODE_HASH_LENGTH = 6  # hex digits: 24 bits, see the module's docstring
_CURSOR = re.compile(r"[0-9]{1,20}")


def event_salt(event: Event) -> str:
    """The event's salt, in hex: the same for every download of its list, different for every event."""
    return salted_hmac("events.gatelist.salt", str(event.pk), algorithm="sha256").hexdigest()[:32]


def _hash(salt: bytes, text: str, length: int) -> str:
    return hashlib.sha256(salt + text.encode()).hexdigest()[:length]


def token_hash(salt: str, token: str) -> str:
    return _hash(bytes.fromhex(salt), token, TOKEN_HASH_LENGTH)


def code_hash(salt: str, code: str) -> str:
    return _hash(bytes.fromhex(salt), tickets.normalise_code(code), CODE_HASH_LENGTH)


def encode_cursor(moment: datetime.datetime) -> str:
    """Opaque to the phone: microseconds since the epoch, in base 10."""
    return str(int(moment.timestamp() * 1_000_000))


def decode_cursor(text: str | None) -> datetime.datetime | None:
    """The moment a cursor names, or None when it is not one (the view answers 400)."""
    if not text or not _CURSOR.fullmatch(text):
        return None
    try:
        return datetime.datetime.fromtimestamp(int(text) / 1_000_000, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _database_now() -> datetime.datetime:
    """The database's clock, which the trigger writes ``changed_at`` with (the app's clock may differ)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


_ENTRY_FIELDS = (
    "pk",
    "session_id",
    "slot",
    "status",
    "car__colour__name",
    "car__colour_note",
    "car__colour__hex",
    "car__register_number",
    "car__nickname",
    "driver__display_name",
    "driver__show_name_publicly",
    "checked_in_at",
    "ticket_token",
    "ticket_code",
)


def check_in_list(event: Event, *, since: datetime.datetime | None = None) -> dict:
    """The event's check-in list (the whole of it, or the entries changed since ``since``, see the module's
    docstring) as the JSON the phone reads."""
    now = _database_now()
    salt = event_salt(event)
    sessions = list(Session.objects.filter(event=event).order_by("starts_at", "pk"))
    ends_at, closes = event_gate_closes(event, [s.ends_at for s in sessions])
    entries = Entry.objects.filter(session__event=event)
    here = Entry.objects.filter(session__event=event)
    other = (
        Entry.objects.active()
        .exclude(session__event=event)
        .filter(session__event__ends_on__gte=timezone.localdate())
        .filter(Q(car__in=here.values("car")) | Q(driver__in=here.values("driver")))
    )
    if since is not None:
        entries = entries.filter(changed_at__gte=since - OVERLAP)
        other = other.filter(changed_at__gte=since - OVERLAP)
    rows = list(entries.order_by("session__starts_at", "session_id", "slot", "pk").values_list(*_ENTRY_FIELDS))
    declarations = declaration_fields(sessions, [row[0] for row in rows])
    notes = gate_notes(entries)
    return {
        "event": {"slug": event.slug, "name": event.name, "ends_at": _iso(ends_at), "drop_after": _iso(closes)},
        "cursor": encode_cursor(now),
        "full": since is None,
        "salt": salt,
        "sessions": [{"id": s.pk, "name": s.name, "starts_at": _iso(s.starts_at)} for s in sessions],
        "entries": [_entry(row, salt) | notes.get(row[0], NO_NOTES) | declarations.get(row[0], {}) for row in rows],
        "other_tickets": [
            {"token_hash": token_hash(salt, token), "event": name}
            for token, name in other.order_by("pk").values_list("ticket_token", "session__event__name")
        ],
    }


def _entry(row: tuple, salt: str) -> dict:
    (pk, session, slot, status, colour, note, hex_, number, nickname, name, public, checked_in, token, code) = row
    return {
        "id": pk,
        "session": session,
        "slot": slot,
        "status": status,
        "colour": f"{colour} ({note})" if note else colour,  # Car.colour_label
        "hex": hex_,
        "number": number,
        "nickname": nickname,
        "driver": name if public and name else None,  # User.public_name
        "checked_in_at": _iso(checked_in),
        "token_hash": token_hash(salt, token),
        "code_hash": code_hash(salt, code),
    }


def declaration_fields(sessions: list[Session], entry_ids: list[int]) -> dict[int, dict]:
    """Per entry of a session that needs the declaration, what the gate shows of it (``events.declaration_status``):
    the event's current version (null: none published), whether the driver signed it, the passenger's name (null:
    none) and whether they signed it. Nothing, and no query, when no session of the event needs a declaration; else
    five queries whatever the number of entries."""
    if not entry_ids or not any(s.declaration_required for s in sessions):
        return {}
    entries = Entry.objects.filter(pk__in=entry_ids, session__declaration_required=True).select_related("session")
    entries = entries.only("pk", "driver", "session__declaration_required", "session__event")
    return {
        pk: {
            "declaration": {
                "version": state.version,
                "driver_signed": state.driver_signed,
                "passenger": state.passenger_name or None,
                "passenger_signed": state.passenger_signed,
            }
        }
        for pk, state in declaration_states(entries).items()
    }


NO_NOTES = {"attention": None, "emergency": None}


def gate_notes(entries) -> dict[int, dict]:
    """What the gate knows of each of ``entries`` besides its ticket (``events/attention.py``), for those that have
    any, in one query: the organiser's attention note and the driver's emergency contact (name, the number as read
    out, and as dialled). Every entry of the list carries both keys (``NO_NOTES``: None), so that a delta clears a
    note taken off since the last download. The list is the organisers' (``views_gate._gate_json``), as is this."""
    rows = entries.filter(Q(attention__isnull=False) | Q(emergency_contact__isnull=False)).values_list(
        "pk", "attention__note", "emergency_contact__name", "emergency_contact__phone"
    )
    notes = {}
    for pk, note, name, phone in rows:
        emergency = None
        if name:
            number = to_python(phone)
            emergency = {"name": name, "phone": phone_shown(number), "tel": phone_dialled(number)}
        notes[pk] = {"attention": note or None, "emergency": emergency}
    return notes
