"""Read-only roster data for the HTML page and the JSON / CSV / ICS exports.

Everything is fetched in a fixed number of queries, however many entries there are:
sessions with counts, entries with car, colour and driver, main photos, colours,
the register's colour counts and the model facts.

The published HTML page is cached whole (``events.views._published_roster``) under the **roster
generation** (``events.models.RosterGeneration``): one counter that database triggers bump when a
transaction that wrote to an event, session, entry, car, photo, colour, the model facts or a public name
commits, whoever wrote it (service, admin, plain SQL). ``roster_stamp`` reads it with the event in one
small query: the same generation means the cached page is still right; a new one means it is rebuilt on
that very request. Why: building the page for thousands of entries takes seconds; see BENCHMARKS.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from events.models import Entry, Event, Session
from register.models import Car, CarPhoto, Colour, RegisteredModel
from register.spreadsheet import formula_safe

# Convoy strip geometry (SVG user units).
CELL_W, CELL_H, GAP, PER_ROW, PACE_CELLS = 28, 16, 4, 20, 4


def driver_public_name(entry: Entry) -> str:
    return entry.driver.public_name if entry.driver_id and entry.driver else ""


@dataclass
class ColourCount:
    colour: Colour
    count: int
    percent: float
    hex: str


@dataclass
class SessionRoster:
    session: Session
    entries: list[Entry]
    shown: list[Entry]
    breakdown: list[ColourCount]
    convoy: dict = field(default_factory=dict)


@dataclass
class ColourComparison:
    colour: Colour
    hex: str
    event_count: int
    event_percent: float
    register_count: int
    register_percent: float


@dataclass
class Roster:
    event: Event
    sessions: list[SessionRoster]
    colours: list[Colour]
    distinct_cars: int
    built_total: int | None
    share_percent: float | None
    comparison: list[ColourComparison]


def _percent(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def _breakdown(entries: list[Entry], colours: list[Colour]) -> list[ColourCount]:
    counts = Counter(e.car.colour_id for e in entries)
    total = len(entries)
    return [
        ColourCount(colour=c, count=counts[c.pk], percent=_percent(counts[c.pk], total), hex=c.hex)
        for c in colours
        if counts[c.pk]
    ]


def _convoy_cars_svg(items: list[dict]) -> str:
    """The cars of the convoy strip as SVG, built here rather than per car in the template: a convoy of
    thousands of cars would otherwise spend most of the page's time in template tags."""

    def title(entry: Entry) -> str:
        text = _("Slot %(slot)s: %(colour)s") % {"slot": entry.slot or "–", "colour": entry.car.colour.name}
        return f"{text} · #{entry.car.register_number}" if entry.car.register_number else text

    return format_html_join(
        "\n",
        '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}"/></g>',
        ((title(i["entry"]), i["x"], i["y"], CELL_W, CELL_H, i["fill"]) for i in items),
    )


def convoy_layout(session: Session, entries: list[Entry]) -> dict:
    """Positions of the pace car and each car in slot order, wrapped into rows."""
    items = []
    index = 0
    pace = None
    if session.pace_car:
        pace = {"x": 0, "y": 0, "width": PACE_CELLS * (CELL_W + GAP) - GAP, "height": CELL_H}
        index = PACE_CELLS
    for entry in entries:
        row, col = divmod(index, PER_ROW)
        items.append(
            {
                "entry": entry,
                "x": col * (CELL_W + GAP),
                "y": row * (CELL_H + GAP),
                "fill": entry.car.colour.hex,
            }
        )
        index += 1
    rows = max(1, -(-index // PER_ROW))
    return {
        "pace": pace,
        "cars": items,
        "cars_svg": _convoy_cars_svg(items),
        "width": PER_ROW * (CELL_W + GAP) - GAP,
        "height": rows * (CELL_H + GAP) - GAP,
        "cell_w": CELL_W,
        "cell_h": CELL_H,
    }


def roster_entries(event: Event, *, photos: bool = False) -> list[Entry]:
    qs = Entry.objects.for_roster().filter(session__event=event)
    if photos:
        # Car.main_photo reads ``main_photos`` when it was prefetched: one query for all cars.
        qs = qs.prefetch_related(
            Prefetch("car__photos", queryset=CarPhoto.objects.filter(is_main=True), to_attr="main_photos")
        )
    return list(qs)


def roster_sessions(event: Event) -> list[Session]:
    return list(event.sessions.with_counts().order_by("starts_at", "pk"))


def build_roster(event: Event) -> Roster:
    sessions = roster_sessions(event)
    entries = roster_entries(event, photos=True)
    colours = list(Colour.objects.all())
    register_counts = dict(
        Car.objects.verified().order_by().values("colour").annotate(n=Count("pk")).values_list("colour", "n")
    )
    model = RegisteredModel.current()

    # One reverse() for all rows: resolving the URL per row costs more than the rest of the row.
    car_url = reverse("register:car_detail", args=[987654321]).replace("987654321", "{}")
    by_session: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        entry.car_url = car_url.format(entry.car.register_number) if entry.car.register_number else ""
        by_session[entry.session_id].append(entry)

    session_rosters = []
    for session in sessions:
        rows = by_session.get(session.pk, [])
        session_rosters.append(
            SessionRoster(
                session=session,
                entries=rows,
                shown=rows,
                breakdown=_breakdown(rows, colours),
                convoy=convoy_layout(session, rows),
            )
        )

    # A car in two sessions is one car present.
    cars = {e.car_id: e.car for e in entries}
    event_counts = Counter(car.colour_id for car in cars.values())
    register_total = sum(register_counts.values())
    comparison = [
        ColourComparison(
            colour=c,
            hex=c.hex,
            event_count=event_counts[c.pk],
            event_percent=_percent(event_counts[c.pk], len(cars)),
            register_count=register_counts.get(c.pk, 0),
            register_percent=_percent(register_counts.get(c.pk, 0), register_total),
        )
        for c in colours
        if event_counts[c.pk] or register_counts.get(c.pk)
    ]
    built_total = model.built_total if model else None
    return Roster(
        event=event,
        sessions=session_rosters,
        colours=colours,
        distinct_cars=len(cars),
        built_total=built_total,
        share_percent=_percent(len(cars), built_total) if built_total else None,
        comparison=comparison,
    )


def entry_row(entry: Entry) -> dict:
    """One entry as the public exports show it: masked VIN, a name only with consent."""
    car = entry.car
    return {
        "slot": entry.slot,
        "register_number": car.register_number,
        "vin_masked": car.vin_masked,
        "colour": car.colour.name,
        "paint_code": car.colour.paint_code,
        "market": car.market.code,
        "nickname": car.nickname,
        "driver": driver_public_name(entry) or None,
        "checked_in": entry.checked_in_at is not None,
    }


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
                "entries": [entry_row(e) for e in by_session.get(s.pk, [])],
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


def csv_cell(value) -> str:
    # Owners type nicknames; register.spreadsheet keeps a formula in one from running.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return formula_safe(str(value))


def roster_csv_rows(event: Event) -> list[list[str]]:
    """One row per confirmed entry: sessions in time order, entries in slot order."""
    by_session: dict[int, list[Entry]] = defaultdict(list)
    for entry in roster_entries(event):
        by_session[entry.session_id].append(entry)
    rows = []
    for session in roster_sessions(event):
        for entry in by_session.get(session.pk, []):
            data = {"session_slug": session.slug, "session_name": session.name, **entry_row(entry)}
            rows.append([csv_cell(data[c]) for c in CSV_COLUMNS])
    return rows


class RosterStamp(NamedTuple):
    event_id: int
    published: bool
    # The committed RosterGeneration; None inside a transaction that has written, whose own changes
    # are counted only at its commit (so nothing rendered from it may be cached).
    generation: int | None


# Hand-written because it runs on every roster request: composing it with the ORM costs more than
# running it.
_ROSTER_STAMP_SQL = """
SELECT e.id, e.roster_published, CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN g.value END
  FROM events_event e LEFT JOIN events_rostergeneration g ON g.id = 1
 WHERE e.slug = %s
"""


def roster_stamp(slug: str) -> RosterStamp | None:
    """What names a cached roster page, in one small query: the event, published or not, and the
    roster generation (see RosterGeneration)."""
    with connection.cursor() as cursor:
        cursor.execute(_ROSTER_STAMP_SQL, [slug])
        row = cursor.fetchone()
    return RosterStamp(*row) if row else None
