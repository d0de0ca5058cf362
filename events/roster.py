"""Read-only roster data for the HTML page (``build_roster``), the search (``find_car``) and the exports
(``events.exports``).

Everything is fetched in a fixed number of queries, however many entries there are:
sessions with counts, entries with car, colour and driver, main photos, colours,
the register's colour counts and the model facts. The published page built from it is cached whole under
the roster generation: ``events.rostercache`` says how, and which tables this module may read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from events.models import Entry, Event, Session
from register.models import Car, CarPhoto, Colour, RegisteredModel

# Convoy picture geometry (SVG user units). Ten cars a row: at 375 px a car is about 30 × 25 px, big enough to
# tap, with its slot number readable. MARGIN keeps the outlines of the outer cars inside the picture.
CELL_W, CELL_H, GAP, PER_ROW, PACE_CELLS, MARGIN = 40, 32, 6, 10, 3, 2
# Cars per page of a session's roster: a session of thousands stays a short page on a phone.
ROSTER_PAGE_SIZE = 100


@dataclass
class ColourCount:
    colour: Colour
    count: int
    percent: float
    hex: str


@dataclass
class SessionRoster:
    session: Session
    # This page's part of the convoy (ROSTER_PAGE_SIZE cars in slot order; the picture draws all of them) ...
    entries: list[Entry]
    # ... and the entries listed: those, narrowed to the chosen colour if any.
    shown: list[Entry]
    breakdown: list[ColourCount]
    convoy: dict = field(default_factory=dict)
    page: int = 1
    pages: int = 1
    first: int = 0  # position in the session's convoy of the page's first car, from 0
    total: int = 0  # cars in the session's convoy

    @property
    def page_numbers(self) -> range:
        return range(1, self.pages + 1)

    @property
    def last(self) -> int:
        return self.first + len(self.entries)


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


def _breakdown(counts: Counter, colours: list[Colour]) -> list[ColourCount]:
    total = sum(counts.values())
    return [
        ColourCount(colour=c, count=counts[c.pk], percent=_percent(counts[c.pk], total), hex=c.hex)
        for c in colours
        if counts[c.pk]
    ]


def _text_colour(hex_colour: str) -> str:
    """Black or white, whichever reads better on the paint (WCAG relative luminance)."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000" if luminance > 0.179 else "#fff"


class PictureCar(NamedTuple):
    """What the convoy picture needs of one confirmed entry. The picture draws every car of a convoy (the
    list shows one page of them), so it reads these few columns rather than whole entries: a 6,342-car
    session took ~1 s more to build with a model instance per car."""

    pk: int
    session_id: int
    slot: int | None
    colour_id: int
    hex: str
    colour_label: str
    register_number: int | None  # the public one: a verified car's only (Car.public_register_number)
    nickname: str


def _picture_cars(event: Event, *, session: Session | None) -> list[PictureCar]:
    """Every confirmed car of one session, or of every session, in slot order, in one query."""
    qs = Entry.objects.confirmed().filter(session__event=event).in_slot_order()
    if session is not None:
        qs = qs.filter(session=session)
    rows = qs.values_list(
        "pk",
        "session_id",
        "slot",
        "car__colour_id",
        "car__colour__hex",
        "car__colour__name",
        "car__colour_note",
        "car__status",
        "car__register_number",
        "car__nickname",
    )
    return [
        PictureCar(
            pk=pk,
            session_id=session_id,
            slot=slot,
            colour_id=colour_id,
            hex=hex_colour,
            colour_label=f"{name} ({note})" if note else name,  # as Car.colour_label
            register_number=number if status == Car.Status.VERIFIED else None,
            nickname=nickname,
        )
        for pk, session_id, slot, colour_id, hex_colour, name, note, status, number, nickname in rows
    ]


def car_name(car: PictureCar) -> str:
    """What the picture says about a car: slot, register number, nickname, colour."""
    parts = [_("Slot %(slot)s") % {"slot": car.slot or "–"}]
    parts.append(f"#{car.register_number}" if car.register_number else _("pending"))
    if car.nickname:
        parts.append(f"“{car.nickname}”")
    parts.append(car.colour_label)
    return ", ".join(str(p) for p in parts)


def _convoy_cars_svg(items: list[dict], colour_id: int | None) -> str:
    """The cars of the convoy picture as SVG, built here rather than per car in the template (a convoy of
    a hundred cars would otherwise spend most of its time in template tags), with one f-string a car and
    only the words escaped (format_html per car took ~1 s for 6,342 cars). Each car is a link to its row
    in the list, on this page or on the page that lists it (so it is focusable and works without
    JavaScript), named by ``car_name``."""

    def state(car: PictureCar) -> str:
        if colour_id is None:
            return ""
        return ' class="is-match"' if car.colour_id == colour_id else ' class="is-dimmed"'

    # Kept lean: a convoy's every car is on every roster page. The link's name is its <title>. Ids, slots
    # and positions are integers; the words and the paint (a #RRGGBB constraint holds it) are escaped.
    return mark_safe(
        "\n".join(
            f'<a href="{escape(i["page_link"])}#entry-{car.pk}"{state(car)} data-colour="{car.colour_id}">'
            f"<title>{escape(car_name(car))}</title>"
            f'<rect x="{i["x"]}" y="{i["y"]}" width="{CELL_W}" height="{CELL_H}" rx="4" fill="{escape(car.hex)}"/>'
            f'<text x="{i["x"] + CELL_W // 2}" y="{i["y"] + CELL_H // 2 + 5}" fill="{_text_colour(car.hex)}">'
            f"{car.slot or '–'}</text></a>"
            for i in items
            for car in (i["car"],)
        )
    )


def convoy_layout(session: Session, cars: list[PictureCar], *, page: int = 1, colour_id: int | None = None) -> dict:
    """Positions of the pace car and of every car of the convoy (``cars``, in slot order), wrapped into
    rows. The picture is the whole convoy on every page of the list; a car the list shows on another page
    than ``page`` links to its row there."""
    items = []
    index = 0
    pace_box = None
    if session.pace_car:
        pace_box = {"x": 0, "y": 0, "width": PACE_CELLS * (CELL_W + GAP) - GAP, "height": CELL_H}
        index = PACE_CELLS
    for position, car in enumerate(cars):
        row, col = divmod(index, PER_ROW)
        listed_on = position // ROSTER_PAGE_SIZE + 1
        items.append(
            {
                "car": car,
                "x": col * (CELL_W + GAP),
                "y": row * (CELL_H + GAP),
                "fill": car.hex,
                "page_link": "" if listed_on == page else f"?session={session.slug}&page={listed_on}",
            }
        )
        index += 1
    rows = max(1, -(-index // PER_ROW))
    width = PER_ROW * (CELL_W + GAP) - GAP
    height = rows * (CELL_H + GAP) - GAP
    return {
        "pace": pace_box,
        "cars": items,
        "cars_svg": _convoy_cars_svg(items, colour_id),
        "view_box": f"{-MARGIN} {-MARGIN} {width + 2 * MARGIN} {height + 2 * MARGIN}",
        "width": width + 2 * MARGIN,
        "height": height + 2 * MARGIN,
        "cell_w": CELL_W,
        "cell_h": CELL_H,
    }


def roster_entries(event: Event) -> list[Entry]:
    """Every confirmed entry of the event, in slot order per session: the exports."""
    return list(Entry.objects.for_roster().filter(session__event=event))


def roster_sessions(event: Event) -> list[Session]:
    return list(event.sessions.with_counts().order_by("starts_at", "pk"))


def _page_entries(event: Event, *, session: Session | None, first: int) -> list[Entry]:
    """One page of the convoy (``ROSTER_PAGE_SIZE`` cars from position ``first``) of one session, or of
    every session, with car, colour, driver and main photo; in one query (plus one for the photos) however
    long the sessions are."""
    qs = Entry.objects.for_roster().filter(session__event=event)
    if session is not None:
        qs = qs.filter(session=session)
    position = Window(RowNumber(), partition_by=[F("session_id")], order_by=qs.query.order_by)
    qs = qs.annotate(position=position).filter(position__gt=first, position__lte=first + ROSTER_PAGE_SIZE)
    # Car.main_photo reads ``main_photos`` when it was prefetched: one query for all cars.
    photos = Prefetch("car__photos", queryset=CarPhoto.objects.filter(is_main=True), to_attr="main_photos")
    return list(qs.prefetch_related(photos))


def build_roster(
    event: Event, *, colour_id: int | None = None, session_slug: str | None = None, page: int = 1
) -> Roster:
    """The roster page's data. Each session lists one page of its convoy (``ROSTER_PAGE_SIZE`` cars in slot
    order): page 1 of every session, or page ``page`` of the session ``session_slug`` only; the picture of
    each shows its whole convoy. A colour narrows the list to that colour and marks its cars in the picture.
    An unknown session or page is a 404.

    Only the listed page's entries are loaded whole; the picture reads a few columns of every car
    (``PictureCar``), and the session's colour figures are counted from those; the event's and the
    register's are counted by the database. Loading every entry of a 6,342-car session to show 100 of them
    made the first build after a change take ~2 s (BENCHMARKS.md, page weight)."""
    sessions = roster_sessions(event)
    if session_slug is not None:
        sessions = [s for s in sessions if s.slug == session_slug]
        if not sessions:
            raise Http404
    number = page if session_slug is not None else 1
    first = (number - 1) * ROSTER_PAGE_SIZE
    if any(not 1 <= number <= max(1, -(-s.confirmed_count // ROSTER_PAGE_SIZE)) for s in sessions):
        raise Http404
    only = sessions[0] if session_slug is not None else None
    entries = _page_entries(event, session=only, first=first)
    pictured: dict[int, list[PictureCar]] = defaultdict(list)
    for car in _picture_cars(event, session=only):
        pictured[car.session_id].append(car)
    colours = list(Colour.objects.all())
    confirmed = Entry.objects.confirmed().filter(session__event=event).order_by()
    # A car in two sessions is one car present.
    event_counts = Counter(
        dict(
            confirmed.values_list("car__colour_id")
            .annotate(n=Count("car_id", distinct=True))
            .values_list("car__colour_id", "n")
        )
    )
    register_counts = dict(
        Car.objects.verified().order_by().values("colour").annotate(n=Count("pk")).values_list("colour", "n")
    )
    model = RegisteredModel.current()

    # One reverse() for all rows: resolving the URL per row costs more than the rest of the row.
    car_url = reverse("car_detail", args=[987654321]).replace("987654321", "{}")
    by_session: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        entry.car_url = car_url.format(entry.car.register_number) if entry.car.register_number else ""
        by_session[entry.session_id].append(entry)

    session_rosters = []
    for session in sessions:
        part = by_session.get(session.pk, [])
        shown = [e for e in part if colour_id is None or e.car.colour_id == colour_id]
        session_rosters.append(
            SessionRoster(
                session=session,
                entries=part,
                shown=shown,
                breakdown=_breakdown(Counter(car.colour_id for car in pictured[session.pk]), colours),
                convoy=convoy_layout(session, pictured[session.pk], page=number, colour_id=colour_id),
                page=number,
                pages=max(1, -(-session.confirmed_count // ROSTER_PAGE_SIZE)),
                first=first,
                total=session.confirmed_count,
            )
        )

    distinct_cars = sum(event_counts.values())
    register_total = sum(register_counts.values())
    comparison = [
        ColourComparison(
            colour=c,
            hex=c.hex,
            event_count=event_counts[c.pk],
            event_percent=_percent(event_counts[c.pk], distinct_cars),
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
        distinct_cars=distinct_cars,
        built_total=built_total,
        share_percent=_percent(distinct_cars, built_total) if built_total else None,
        comparison=comparison,
    )


def find_car(event: Event, text: str) -> tuple[Entry, int] | None:
    """The roster entry of the car with this register number ("1234" or "#1234") or nickname (any case),
    and the page of its session that lists it; the first session in time order when the car drives in
    several. None when no confirmed car matches."""
    text = text.strip()
    number = text.removeprefix("#").strip()
    match = Q(car__nickname__iexact=text) if text else Q(pk__in=[])
    if number.isdecimal() and len(number) < 10:
        match |= Q(car__register_number=int(number), car__status=Car.Status.VERIFIED)
    entry = (
        Entry.objects.for_roster()
        .filter(match, session__event=event)
        .select_related("session")
        .order_by("session__starts_at", "session__pk", F("slot").asc(nulls_last=True), "pk")
        .first()
    )
    if entry is None:
        return None
    order = list(Entry.objects.for_roster().filter(session=entry.session).values_list("pk", flat=True))
    return entry, order.index(entry.pk) // ROSTER_PAGE_SIZE + 1
