"""The gate offline, server side: a phone's queue of 500 check-ins synced through HTTP, and the size of the
check-in list a phone downloads. Goals (BENCHMARKS.md): 500 queued check-ins synced in ≤ 5 s; the list of a
105-car event ≤ 30 KB gzipped, of 6,342 entries ≤ 1 MB gzipped.

    .venv/bin/python bench/gate.py [--cars 105] [--entries 6342] [--queue 500] [--batch 50]

One throw-away embedded PostgreSQL (deleted afterwards) with two events of today: "bench" with ``--cars``
entries in one session, "big" with ``--entries`` over three sessions (in both nine in ten confirmed, the rest
waitlisted or cancelled; a third of the drivers show their name); one organiser. One gunicorn as `make serve`
(2 workers × 4 gthread threads, DEBUG off). Each request on a fresh connection, as a phone back in signal makes it.

- The list: ``GET …/check-in/list.json`` with ``Accept-Encoding: gzip``, its bytes on the wire and the time to
  the last byte (median of 5). The 105 cars are entered for next month's gathering too, so the bench list carries
  their 105 tickets there as "other tickets".
- The sync: ``--queue`` scans of distinct confirmed entries of the big event posted at once (one POST), then
  another ``--queue`` in POSTs of ``--batch``, then the first queue again (a resend: every nonce known, nothing
  changes). Timed from the first byte sent to the last response read; each run checks the database afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from kit import harness, production_env

SETUP = """
import datetime, json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from events.models import Entry, Event, Session
from register.models import Car, Colour, User
from tests.factories import make_vin

now, today = timezone.now(), timezone.localdate()
colours = list(Colour.objects.order_by("pk"))
serial = [0]

def event(slug, name, sessions, cars, day=today):
    event = Event.objects.create(
        name=name, slug=slug, venue="Nürburgring", starts_on=day, ends_on=day,
        registration_opens=now - datetime.timedelta(days=30), registration_closes=now - datetime.timedelta(days=1),
    )
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    made = [
        Session.objects.create(
            event=event, name=f"Session {n + 1}", slug=f"s{n + 1}", starts_at=start + datetime.timedelta(hours=n),
            ends_at=start + datetime.timedelta(hours=n + 1), capacity=cars,
        )
        for n in range(sessions)
    ]
    first = serial[0]
    serial[0] += cars
    users = User.objects.bulk_create(
        User(email=f"{slug}{i}@example.org", display_name=f"Driver {first + i}", show_name_publicly=i % 3 == 0,
             password="!")
        for i in range(cars)
    )
    made_cars = Car.objects.bulk_create(
        Car(vin=make_vin(first + i + 1), colour=colours[i % len(colours)], market="DE", owner=users[i],
            status=Car.Status.VERIFIED, register_number=first + i + 1, verified_at=now,
            nickname=f"Car {first + i}" if i % 2 else "")
        for i in range(cars)
    )
    entries = []
    for i, car in enumerate(made_cars):
        status = "confirmed" if i % 10 else ("waitlisted" if i % 20 else "cancelled")
        session = made[i % sessions]
        entries.append(Entry(session=session, car=car, driver=car.owner, status=status,
                             slot=(i // sessions) + 1 if status == "confirmed" else None))
    Entry.objects.bulk_create(entries)
    return event, made_cars

bench, bench_cars = event("bench", "Bench gathering", 1, CARS)
big, _ = event("big", "Big gathering", 3, ENTRIES)
# The same 105 cars are entered for next month's gathering too: their tickets are the bench list's other tickets.
following, _ = event("next", "Next gathering", 1, 0, day=today + datetime.timedelta(days=30))
Entry.objects.bulk_create(
    Entry(session=following.sessions.get(), car=car, driver=car.owner, status="confirmed", slot=n + 1)
    for n, car in enumerate(bench_cars)
)
organiser = User.objects.create(email="organiser@example.org", display_name="Orla Organiser", is_staff=True)
organiser.groups.add(Group.objects.get(name="Organisers"))
store = SessionStore()
store[SESSION_KEY] = str(organiser.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = organiser.get_session_auth_hash()
store.create()
confirmed = Entry.objects.filter(session__event=big, status="confirmed").order_by("?")
confirmed = list(confirmed.values_list("pk", flat=True))
print(json.dumps({"session": store.session_key, "confirmed": confirmed}))
"""

CHECK = """
from events.models import Entry, GateScan
print(Entry.objects.filter(checked_in_at__isnull=False).count(), GateScan.objects.count())
"""


class Phone:
    """An organiser's phone: the session cookie, and a CSRF cookie sent back in the header (Django compares the
    two; a secret of 32 letters and digits is what its own cookie holds)."""

    def __init__(self, port: int, session: str) -> None:
        self.port = port
        csrf = secrets.token_hex(16)
        self.headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}

    def list(self, slug: str) -> tuple[int, float, dict]:
        started = time.perf_counter()
        response = harness.request(
            self.port, "GET", f"/events/{slug}/check-in/list.json", headers={**self.headers, "Accept-Encoding": "gzip"}
        )
        elapsed = time.perf_counter() - started
        assert response.status == 200 and response.headers.get("content-encoding") == "gzip", response.status
        return len(response.body), elapsed, json.loads(gzip.decompress(response.body))

    def sync(self, slug: str, scans: list[dict]) -> list[dict]:
        body = json.dumps({"device": "Bench phone", "scans": scans}).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        response = harness.request(self.port, "POST", f"/events/{slug}/check-in/sync", body=body, headers=headers)
        assert response.status == 200, (response.status, response.body[:300])
        return json.loads(response.body)["results"]


def queue(entries: list[int]) -> list[dict]:
    """A phone's queue: one scan per entry, a few seconds apart over the last hour, each with its nonce."""
    start = datetime.now(UTC) - timedelta(hours=1)
    return [
        {"nonce": str(uuid.uuid4()), "entry": pk, "scanned_at": (start + timedelta(seconds=5 * n)).isoformat()}
        for n, pk in enumerate(entries)
    ]


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=105)
    parser.add_argument("--entries", type=int, default=6342)
    parser.add_argument("--queue", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()

    with harness.embedded_database() as db:
        harness.migrate(db)
        app = {**production_env(db), "SECRET_KEY": harness.SECRET_KEY}
        setup = SETUP.replace("CARS", str(args.cars)).replace("ENTRIES", str(args.entries))
        data = json.loads(harness.manage(db, "shell", "-c", setup, timeout=600, **app).strip().splitlines()[-1])
        first, second = data["confirmed"][: args.queue], data["confirmed"][args.queue : 2 * args.queue]
        with harness.gunicorns(db, 1, workers=2, threads=4, **app) as [server]:
            phone = Phone(server.port, data["session"])
            lists = {}
            for slug in ("big", "bench"):
                runs = [phone.list(slug) for _ in range(5)]
                lists[slug] = (runs[0][0], statistics.median(r[1] for r in runs), runs[0][2])

            scans = queue(first)
            one, results = timed(lambda: phone.sync("big", scans))
            assert [r["outcome"] for r in results] == ["checked_in"] * len(first), results[:3]
            batches = [queue(second)[n : n + args.batch] for n in range(0, len(second), args.batch)]
            batched, results = timed(lambda: [r for batch in batches for r in phone.sync("big", batch)])
            assert [r["outcome"] for r in results] == ["checked_in"] * len(second)
            again, results = timed(lambda: phone.sync("big", scans))
            assert [r["outcome"] for r in results] == ["checked_in"] * len(first)
        checked_in, recorded = map(
            int, harness.manage(db, "shell", "-c", CHECK, **app).strip().splitlines()[-1].split()
        )
        assert (checked_in, recorded) == (2 * args.queue, 2 * args.queue), (checked_in, recorded)

    print("check-in list (GET list.json, gzip; median of 5 downloads)")
    for label, goal in (("big", 1_000_000), ("bench", 30_000)):
        size, seconds, payload = lists[label]
        counts = f"{len(payload['entries']):,} entries, {len(payload['other_tickets']):,} other tickets"
        print(
            f"  {label:<6} {counts:<36} {size / 1000:8.1f} KB  {seconds * 1000:6.0f} ms  (goal ≤ {goal // 1000:,} KB)"
        )
    print(f"sync of {args.queue} queued check-ins (goal ≤ 5 s)")
    print(f"  one POST of {args.queue:<19} {one:6.2f} s  ({one / args.queue * 1000:.1f} ms per scan)")
    print(f"  {len(batches)} POSTs of {args.batch:<17} {batched:6.2f} s")
    print(f"  the first {args.queue} again (resend) {again:6.2f} s  (nothing changed: {checked_in:,} checked in)")


if __name__ == "__main__":
    main()
