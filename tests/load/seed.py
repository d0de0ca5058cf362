"""Seed a throw-away database for the load tests and benchmarks; prints JSON on stdout.

Run in a subprocess with DATABASE_URL pointing at the throw-away server:
    python -m tests.load.seed owners --count 500 --sessions rush,kill,restart --capacity 55
    python -m tests.load.seed roster --confirmed 105

Bulk inserts keep it to a few seconds; the rows are the same ones the services would write
(verified cars with register numbers, logged-in Django sessions, confirmed entries with slots 1..n).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session as DjangoSession  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from events.models import Entry, Event, Session  # noqa: E402
from register.models import Car, Colour, User  # noqa: E402
from tests.factories import make_vin  # noqa: E402

BACKEND = "django.contrib.auth.backends.ModelBackend"
MARKETS = ["DE", "GB", "US", "FR", "CH", "NL", "AU", "JP"]


def _event(slug: str, *, published: bool) -> Event:
    now = timezone.now()
    today = timezone.localdate()
    return Event.objects.create(
        name=f"Load gathering {slug}",
        slug=slug,
        venue="Nürburgring",
        starts_on=today + datetime.timedelta(days=60),
        ends_on=today + datetime.timedelta(days=70),
        registration_opens=now - datetime.timedelta(days=1),
        registration_closes=now + datetime.timedelta(days=30),
        roster_published=published,
        roster_published_at=now if published else None,
    )


def _session(event: Event, slug: str, *, capacity: int, hour: int) -> Session:
    day = event.starts_on + datetime.timedelta(days=hour // 24)
    starts = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour % 24, 0)))
    return Session.objects.create(
        event=event,
        name=f"Convoy {slug}",
        slug=slug,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        capacity=capacity,
        laps=2,
        pace_car="BMW M2 pace car",
    )


def _owners_with_cars(count: int, *, offset: int = 0) -> list[Car]:
    colours = list(Colour.objects.order_by("pk"))
    users = User.objects.bulk_create(
        User(
            email=f"load{offset + i}@example.org",
            display_name=f"Load Owner {offset + i}",
            show_name_publicly=i % 2 == 0,
            password=f"!unusable-{offset + i}",
        )
        for i in range(count)
    )
    now = timezone.now()
    return Car.objects.bulk_create(
        Car(
            vin=make_vin(offset + i + 1),
            colour=colours[i % len(colours)],
            market=MARKETS[i % len(MARKETS)],
            nickname=f"Car {offset + i}" if i % 3 else "",
            owner=user,
            status=Car.Status.VERIFIED,
            register_number=offset + i + 1,
            verified_at=now,
        )
        for i, user in enumerate(users)
    )


def seed_owners(args) -> dict:
    """An open event with the given sessions, ``count`` owners with one car each, all logged in."""
    event = _event(args.event, published=False)
    sessions = [_session(event, s, capacity=args.capacity, hour=8 + i) for i, s in enumerate(args.sessions)]
    cars = _owners_with_cars(args.count)
    expire = timezone.now() + datetime.timedelta(days=1)
    store = SessionStore()
    rows, owners = [], []
    for car in cars:
        user = car.owner
        key = get_random_string(32)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: BACKEND,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expire))
        owners.append({"user": user.pk, "car": car.pk, "sessionid": key})
    DjangoSession.objects.bulk_create(rows)
    return {"event": event.slug, "sessions": {s.slug: s.pk for s in sessions}, "owners": owners}


def seed_roster(args) -> dict:
    """A published event with one session of ``confirmed`` confirmed entries in slots 1..n."""
    event = _event(args.event, published=True)
    session = _session(event, "convoy", capacity=args.confirmed, hour=9)
    cars = _owners_with_cars(args.confirmed, offset=args.offset)
    Entry.objects.bulk_create(
        Entry(session=session, car=car, driver=car.owner, status=Entry.Status.CONFIRMED, slot=i)
        for i, car in enumerate(cars, start=1)
    )
    return {"event": event.slug, "session": session.pk, "confirmed": len(cars)}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    owners = sub.add_parser("owners")
    owners.add_argument("--event", default="rush")
    owners.add_argument("--count", type=int, default=500)
    owners.add_argument("--capacity", type=int, default=55)
    owners.add_argument("--sessions", type=lambda s: s.split(","), default=["rush"])
    roster = sub.add_parser("roster")
    roster.add_argument("--event", default="roster")
    roster.add_argument("--confirmed", type=int, default=105)
    roster.add_argument("--offset", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = seed_owners(args) if args.what == "owners" else seed_roster(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
