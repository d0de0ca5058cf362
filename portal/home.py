"""What the home page shows: the next gathering, the latest published roster, the register's progress and
the cars verified last. A fixed number of queries however many events, sessions, entries and cars there
are; everything shown bumps the roster generation, so the page is cached under it (events.rostercache)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from events.models import Entry, Event, Session
from events.roster import CELL_H, CELL_W, GAP
from register.models import Car, CarPhoto, RegisteredModel

RECENT_CARS = 6
# The small convoy picture: the first cars of the roster's first session, 15 a row.
THUMB_CARS, THUMB_PER_ROW = 45, 15


@dataclass
class NextGathering:
    event: Event
    sessions: list[Session]
    registration_open: bool


@dataclass
class LatestRoster:
    event: Event
    session: Session
    cars: list[dict]
    total: int
    width: int
    height: int


def next_gathering(now=None) -> NextGathering | None:
    now = now or timezone.now()
    event = Event.objects.upcoming(today=timezone.localdate(now)).first()
    if event is None:
        return None
    sessions = list(event.sessions.with_counts().order_by("starts_at", "pk"))
    return NextGathering(event=event, sessions=sessions, registration_open=event.registration_is_open(now))


def latest_roster() -> LatestRoster | None:
    event = Event.objects.published().order_by("-starts_on", "-pk").first()
    if event is None:
        return None
    session = event.sessions.with_counts().order_by("starts_at", "pk").first()
    if session is None:
        return None
    entries = Entry.objects.confirmed().filter(session=session).select_related("car__colour").in_slot_order()
    cars = []
    for index, entry in enumerate(entries[:THUMB_CARS]):
        row, col = divmod(index, THUMB_PER_ROW)
        cars.append({"x": col * (CELL_W + GAP), "y": row * (CELL_H + GAP), "fill": entry.car.colour.hex})
    rows = max(1, -(-len(cars) // THUMB_PER_ROW))
    return LatestRoster(
        event=event,
        session=session,
        cars=cars,
        total=session.confirmed_count,
        width=THUMB_PER_ROW * (CELL_W + GAP) - GAP,
        height=rows * (CELL_H + GAP) - GAP,
    )


def recently_verified() -> list[Car]:
    main = Prefetch("photos", queryset=CarPhoto.objects.filter(is_main=True), to_attr="main_photos")
    return list(
        Car.objects.verified()
        .select_related("colour")
        .prefetch_related(main)
        .order_by("-verified_at", "-pk")[:RECENT_CARS]
    )


def home_data() -> dict:
    now = timezone.now()
    model = RegisteredModel.current()
    verified = Car.objects.verified().count()
    built = model.built_for_customers if model else None
    return {
        "now": now,
        "next": next_gathering(now),
        "latest": latest_roster(),
        "recent_cars": recently_verified(),
        "verified_count": verified,
        "built": built,
        "verified_percent": round(verified * 100 / built, 1) if built else None,
    }
