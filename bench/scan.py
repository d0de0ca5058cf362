"""The gate: from a ticket held in front of the phone's camera to the car on screen, over 20 scans, online
and with no server (the offline gate).

    .venv/bin/python bench/scan.py [--scans 20] [--cars 105]

One throw-away embedded PostgreSQL (deleted afterwards) with an event of ``--cars`` confirmed cars and an
organiser; one gunicorn as `make serve` (2 workers × 4 gthread threads, DEBUG off, static files from
collectstatic through WhiteNoise). For each scan, Debian's Chromium starts with a fake camera playing a
video of one car's ticket (its QR code as the email carries it, on a white 640×480 frame: tests/e2e/camera.py)
at a 375 px viewport, logged in as the organiser, on the event's check-in page. The clock starts when
"Start the camera" is pressed, so it includes starting the camera, decoding frames with jsQR, the request
for the ticket and showing the result in the page, and stops when that car's slot is on screen. Goal: median ≤ 1 s.

The offline run scans the same tickets the same way, but once the page has downloaded the event's check-in
list, every request of the browser is aborted (the server unreachable, as with no signal): the phone hashes
the ticket with the list's salt, finds the entry in its IndexedDB copy and shows the verdict
(static/js/gate-offline.js). Goal: median ≤ 150 ms from the moment the ticket is read (the request that
fails) to the car on screen.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from kit import collectstatic, harness, production_env

from tests.e2e.camera import launch_with_camera, ticket_frame, write_y4m
from tests.e2e.conftest import CHROMIUM_ARGS, VIEWPORTS, _chromium_path

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
event = Event.objects.create(
    name="Bench gathering", slug="bench", venue="Nürburgring", starts_on=today, ends_on=today,
    registration_opens=now - datetime.timedelta(days=30), registration_closes=now - datetime.timedelta(days=1),
)
start = now + datetime.timedelta(hours=1)
session = Session.objects.create(
    event=event, name="Nordschleife convoy", slug="convoy", starts_at=start,
    ends_at=start + datetime.timedelta(hours=2), capacity=CARS, pace_car="BMW 2002 turbo",
)
colours = list(Colour.objects.order_by("pk"))
entries = []
for i in range(CARS):
    owner = User.objects.create(email=f"bench{i}@example.org", display_name=f"Driver {i}")
    car = Car.objects.create(
        vin=make_vin(i + 1), colour=colours[i % len(colours)], market="DE", owner=owner,
        status=Car.Status.VERIFIED, register_number=1000 + i, verified_at=now, nickname=f"Car {i}",
    )
    entries.append(Entry.objects.create(session=session, car=car, driver=owner, status="confirmed", slot=i + 1))
organiser = User.objects.create(email="organiser@example.org", display_name="Orla Organiser", is_staff=True)
organiser.groups.add(Group.objects.get(name="Organisers"))
store = SessionStore()
store[SESSION_KEY] = str(organiser.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = organiser.get_session_auth_hash()
store.create()
print(json.dumps({"session": store.session_key, "tickets": [[e.slot, e.ticket_token] for e in entries]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=20)
    parser.add_argument("--cars", type=int, default=105)
    args = parser.parse_args()
    if _chromium_path() is None:
        raise SystemExit("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with harness.embedded_database() as db, tempfile.TemporaryDirectory(prefix="onem-scan-") as tmp:
        harness.migrate(db)
        collectstatic(db)
        app = {**production_env(db), "SECRET_KEY": harness.SECRET_KEY}
        out = harness.manage(db, "shell", "-c", SETUP.replace("CARS", str(args.cars)), **app)
        data = json.loads(out.strip().splitlines()[-1])
        picked = random.Random(1).sample(data["tickets"], args.scans)
        timings: dict[str, list[tuple[float, float, float]]] = {"online": [], "offline": []}
        with harness.gunicorns(db, 1, workers=2, threads=4, **app) as [server], sync_playwright() as playwright:
            base = f"http://127.0.0.1:{server.port}"
            shared = playwright.chromium.launch(executable_path=_chromium_path(), headless=True, args=CHROMIUM_ARGS)
            for mode in timings:
                for index, (slot, token) in enumerate(picked):
                    video = write_y4m(ticket_frame(token), Path(tmp) / f"ticket-{index}.y4m")
                    browser = launch_with_camera(shared, video)
                    try:
                        timings[mode].append(scan(browser, base, data["session"], slot, offline=mode == "offline"))
                    finally:
                        browser.close()
            shared.close()

    def line(values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        return f"{statistics.median(ms):7.0f} {ms[0]:7.0f} {ms[-1]:7.0f}"

    print(f"scans: {args.scans} tickets of {args.cars} confirmed cars, one Chromium per ticket, 375 px")
    print(
        f"{'':<46} {'online: median':>14} {'min':>7} {'max':>7}   {'offline: median':>15} {'min':>7} {'max':>7}  (ms)"
    )
    rows = [
        ("ticket in front of the camera → car on screen", 0),
        ("  of which camera start + jsQR decode", 1),
        ("  of which ticket read → car on screen", 2),
    ]
    for label, column in rows:
        online = line([t[column] for t in timings["online"]])
        offline = line([t[column] for t in timings["offline"]])
        print(f"{label:<46} {online:>30}   {offline:>31}")
    print("goals: online median ≤ 1000 ms (whole scan); offline median ≤ 150 ms (ticket read → car on screen)")


def scan(browser, base: str, session_key: str, slot: int, *, offline: bool) -> tuple[float, float, float]:
    """One scan: (button → car on screen, of which camera start + decode, of which ticket read → car on
    screen), in seconds. The last is measured in the page (the marks static/js/checkin.js sets when jsQR has
    read the ticket and when its result is shown), so Playwright's own latency is not in it."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS["mobile"], permissions=["camera"])
    context.add_cookies([{"name": "sessionid", "value": session_key, "url": base}])
    page = context.new_page()
    page.goto(f"{base}/events/bench/check-in/")
    if offline:
        expect(page.locator("#gate-status")).to_contain_text("List of", timeout=20_000)
        context.route("**/*", lambda route: route.abort())
    started = time.perf_counter()
    page.get_by_role("button", name="Start the camera").click()
    expect(page.locator(".checkin-slot")).to_have_text(f"Slot {slot}", timeout=20_000)
    shown = time.perf_counter()
    if offline:
        expect(page.locator(".checkin-offline-note")).to_be_visible()
    read_to_shown = (
        page.evaluate(
            """() => performance.getEntriesByName("checkin-shown")[0].startTime
                 - performance.getEntriesByName("checkin-read")[0].startTime"""
        )
        / 1000
    )
    context.close()
    return shown - started, shown - started - read_to_shown, read_to_shown


if __name__ == "__main__":
    main()
