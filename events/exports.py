"""The roster's exports, built here and nowhere else: JSON, CSV (both public once the roster is published) and
the event's calendar (ICS, public with the event page). The views only pick the event and wrap the result in a
response.

Everything shown of a person or a car is what the roster page shows: a masked VIN, the public register number
(verified cars only), a driver's name only with their consent, whether a car has arrived only when the event
shows check-ins (``Event.show_check_ins``). CSV cells that a spreadsheet would run as a formula are
neutralised (``register.spreadsheet.formula_safe``). They read the tables of the roster cache's list
(``events.rostercache.WATCHED``), which the guard test holds them to, although they are not cached.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict

import icalendar
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from events.models import Entry, Event
from events.roster import roster_entries, roster_sessions
from register import spreadsheet
from register.spreadsheet import formula_safe


def driver_public_name(entry: Entry) -> str:
    return entry.driver.public_name if entry.driver_id and entry.driver else ""


def entry_row(entry: Entry, *, check_ins: bool = False) -> dict:
    """One entry as the public exports show it: masked VIN, a name only with consent, whether it has
    arrived only when the event shows check-ins (``Event.show_check_ins``)."""
    car = entry.car
    row = {
        "slot": entry.slot,
        "register_number": car.public_register_number,
        "vin_masked": car.vin_masked,
        "colour": car.colour.name,
        "paint_code": car.colour.paint_code,
        "market": car.market.code,
        "nickname": car.nickname,
        "driver": driver_public_name(entry) or None,
    }
    if check_ins:
        row["checked_in"] = entry.checked_in_at is not None
    return row


def roster_json(event: Event) -> dict:
    sessions = roster_sessions(event)
    by_session: dict[int, list[Entry]] = defaultdict(list)
    for entry in roster_entries(event):
        by_session[entry.session_id].append(entry)
    return {
        "event": {
            "name": event.name,
            "slug": event.slug,
            "venue": event.venue,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
        },
        "sessions": [
            {
                "slug": s.slug,
                "name": s.name,
                "kind": s.kind,
                "track": s.track,
                "starts_at": timezone.localtime(s.starts_at).isoformat(),
                "capacity": s.capacity,
                "confirmed": s.confirmed_count,
                "waitlisted": s.waitlist_count,
                "entries": [entry_row(e, check_ins=event.show_check_ins) for e in by_session.get(s.pk, [])],
            }
            for s in sessions
        ],
    }


CSV_COLUMNS = [
    "session_slug",
    "session_name",
    "slot",
    "register_number",
    "vin_masked",
    "colour",
    "paint_code",
    "market",
    "nickname",
    "driver",
    "checked_in",
]


def csv_columns(event: Event) -> list[str]:
    """The CSV's columns: ``checked_in`` only when the event shows check-ins (``Event.show_check_ins``)."""
    return CSV_COLUMNS if event.show_check_ins else [c for c in CSV_COLUMNS if c != "checked_in"]


def csv_cell(value) -> str:
    # Owners type nicknames; register.spreadsheet keeps a formula in one from running.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return formula_safe(str(value))


def roster_csv_rows(event: Event) -> list[list[str]]:
    """One row per confirmed entry (``csv_columns``): sessions in time order, entries in slot order."""
    by_session: dict[int, list[Entry]] = defaultdict(list)
    for entry in roster_entries(event):
        by_session[entry.session_id].append(entry)
    rows = []
    columns = csv_columns(event)
    for session in roster_sessions(event):
        for entry in by_session.get(session.pk, []):
            row = entry_row(entry, check_ins=event.show_check_ins)
            data = {"session_slug": session.slug, "session_name": session.name, **row}
            rows.append([csv_cell(data[c]) for c in columns])
    return rows


def roster_csv(event: Event, *, separator: str) -> str:
    """The whole CSV file: a byte-order mark (spreadsheets then read UTF-8), the header, the rows."""
    out = io.StringIO()
    out.write(spreadsheet.BOM)
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(csv_columns(event))
    writer.writerows(roster_csv_rows(event))
    return out.getvalue()


def calendar_ics(event: Event, *, url: str) -> bytes:
    """The event's sessions as a calendar, one VEVENT each; ``url`` is the event page's absolute address."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//1M Register//Events//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", event.name)
    stamp = timezone.now()
    for session in event.sessions.order_by("starts_at", "pk"):
        vevent = icalendar.Event()
        # Stable across edits of names, times and slugs: calendar apps update instead of duplicating.
        vevent.add("uid", f"event-{event.pk}-session-{session.pk}@1m-register")
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", timezone.localtime(session.starts_at))
        vevent.add("dtend", timezone.localtime(session.ends_at))
        vevent.add("summary", f"{event.name}: {session.name}")
        vevent.add("location", event.venue)
        description = [
            session.get_kind_display(),
            session.get_track_display(),
            # Calendar apps show the times in the reader's zone; the text says the venue's.
            _("When: %(starts)s – %(ends)s (Europe/Berlin)")
            % {
                "starts": formats.date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT"),
                "ends": formats.time_format(timezone.localtime(session.ends_at), "TIME_FORMAT"),
            },
        ]
        if session.laps:
            description.append(_("Laps: %(laps)s") % {"laps": session.laps})
        if session.pace_car:
            description.append(_("Pace car: %(car)s") % {"car": session.pace_car})
        if session.requirements:
            description.append(_("Requirements: %(text)s") % {"text": session.requirements})
        description.append(url)
        vevent.add("description", "\n".join(str(d) for d in description))
        vevent.add("url", url)
        cal.add_component(vevent)
    cal.add_missing_timezones()
    return cal.to_ical()
