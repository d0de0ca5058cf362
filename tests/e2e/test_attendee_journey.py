"""Journey 3, the attendee: a published roster, filtered by colour, downloaded as CSV, added to a calendar."""

from __future__ import annotations

import csv
import datetime
import re
from pathlib import Path

import icalendar
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Entry
from tests.e2e.helpers import colour, ensure_reference_data
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def roster():
    """A published event: a convoy with orange, white, white, black; a GP session with orange only."""
    ensure_reference_data()
    event = EventFactory(
        name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True, show_check_ins=True
    )
    convoy = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=10)
    gp = SessionFactory(
        event=event,
        name="GP circuit session",
        slug="gp",
        kind=convoy.kind,
        starts_at=convoy.starts_at + datetime.timedelta(days=1),
        ends_at=convoy.ends_at + datetime.timedelta(days=1),
    )
    public = UserFactory(email="public@example.org", display_name="Paula Public", show_name_publicly=True)
    private = UserFactory(email="private@example.org", display_name="Hidden Hans", show_name_publicly=False)
    cars = {
        "Ember": VerifiedCarFactory(nickname="Ember", colour=colour("Valencia Orange Metallic"), owner=public),
        "Frost": VerifiedCarFactory(nickname="Frost", colour=colour("Alpine White"), owner=private),
        "Snow": VerifiedCarFactory(nickname="Snow", colour=colour("Alpine White")),
        "Shadow": VerifiedCarFactory(nickname="Shadow", colour=colour("Black Sapphire Metallic")),
    }
    for slot, name in enumerate(["Ember", "Frost", "Snow", "Shadow"], start=1):
        EntryFactory(session=convoy, car=cars[name], driver=cars[name].owner, slot=slot)
    EntryFactory(session=gp, car=cars["Ember"], driver=public, slot=1, checked_in_at=timezone.now())
    # A waitlisted car is not on the roster.
    waiting = VerifiedCarFactory(nickname="Waiting", colour=colour("Alpine White"))
    EntryFactory(session=convoy, car=waiting, slot=None, status=Entry.Status.WAITLISTED)
    return event, cars


def test_attendee_filters_roster_by_colour_downloads_csv_and_calendar(page, live_server, shot, tmp_path, roster):
    event, cars = roster
    base = live_server.url

    page.goto(f"{base}/events/{event.slug}/roster/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Roster: Nürburgring gathering 2031")
    convoy = page.get_by_role("region", name="Nordschleife convoy")
    gp = page.get_by_role("region", name="GP circuit session")
    expect(convoy.locator(".roster-table tbody tr td:nth-child(4)")).to_have_text(["Ember", "Frost", "Snow", "Shadow"])
    # Privacy: masked VINs, a name only with consent, never an email.
    expect(convoy.locator("td.vin", has_text=cars["Frost"].vin_masked)).to_have_count(1)  # desktop only
    expect(page.get_by_text(cars["Frost"].vin, exact=False)).to_have_count(0)
    expect(convoy.get_by_role("cell", name="Paula Public")).to_have_count(1)
    expect(page.get_by_text("Hidden Hans")).to_have_count(0)
    expect(page.get_by_text("@example.org")).to_have_count(0)
    # "Find" sits level with its field beside it (desktop), or under it (phone), never up at the label.
    find = page.get_by_role("search", name="Find my car")
    field = find.get_by_label("Register number or nickname").bounding_box()
    button = find.get_by_role("button", name="Find").bounding_box()
    field_bottom, button_bottom = field["y"] + field["height"], button["y"] + button["height"]
    assert abs(button_bottom - field_bottom) <= 1 or button["y"] >= field_bottom, (field, button)
    shot("roster")

    # Filter by colour (a GET form): only the white cars remain.
    page.get_by_role("search", name="Filter the roster by colour").get_by_label("Colour").select_option(
        label="Alpine White"
    )
    # At once, in the page: the white cars are highlighted in the picture and the list, the rest dimmed.
    white = str(colour("Alpine White").pk)
    expect(convoy.locator(".convoy-cars a.is-match")).to_have_count(2)
    expect(convoy.locator(".convoy-cars a.is-dimmed")).to_have_count(2)
    for car in convoy.locator(".convoy-cars a.is-match").all():
        expect(car).to_have_attribute("data-colour", white)
    expect(convoy.locator(".roster-table tr.is-dimmed td:nth-child(4)")).to_have_text(["Ember", "Shadow"])
    shot("roster-highlighted")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"\?colour={colour('Alpine White').pk}$"))
    expect(convoy.locator(".roster-table tbody tr td:nth-child(4)")).to_have_text(["Frost", "Snow"])
    expect(convoy.locator(".roster-table tbody tr td:nth-child(2)")).to_have_text(["Alpine White", "Alpine White"])
    expect(convoy.locator(".roster-table tbody tr td:first-child")).to_have_text(["2", "3"])
    expect(gp.get_by_text("No car of this colour in this session.")).to_be_visible()
    expect(page.get_by_role("link", name="Show all")).to_be_visible()
    shot("roster-filtered")

    # CSV: the whole roster (not the filter), sessions in time order, slot order inside.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename == "nurburgring-2031-roster.csv"
    csv_path = tmp_path / "roster.csv"
    csv_download.value.save_as(csv_path)
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == [
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
    expected = []
    for session_slug, session_name, slot, name, driver, checked_in in [
        ("nordschleife", "Nordschleife convoy", 1, "Ember", "Paula Public", "no"),
        ("nordschleife", "Nordschleife convoy", 2, "Frost", "", "no"),
        ("nordschleife", "Nordschleife convoy", 3, "Snow", "", "no"),
        ("nordschleife", "Nordschleife convoy", 4, "Shadow", "", "no"),
        ("gp", "GP circuit session", 1, "Ember", "Paula Public", "yes"),
    ]:
        car = cars[name]
        expected.append(
            [
                session_slug,
                session_name,
                str(slot),
                str(car.register_number),
                car.vin_masked,
                car.colour.name,
                car.colour.paint_code,
                "DE",
                name,
                driver,
                checked_in,
            ]
        )
    assert rows[1:] == expected

    # Calendar: Chromium downloads the .ics; it holds one VEVENT per session.
    with page.expect_download() as ics_download:
        page.get_by_role("link", name="Calendar (.ics)").click()
    assert ics_download.value.suggested_filename == "nurburgring-2031.ics"
    calendar = icalendar.Calendar.from_ical(Path(ics_download.value.path()).read_bytes())
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [
        "Nürburgring gathering 2031: Nordschleife convoy",
        "Nürburgring gathering 2031: GP circuit session",
    ]
    assert [e.decoded("dtstart") for e in events] == [
        timezone.localtime(s.starts_at) for s in event.sessions.order_by("starts_at")
    ]
    response = page.request.get(f"{base}/events/{event.slug}/calendar.ics")
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    shot("after-downloads")
