"""At 375 px (and at desktop width) the main public pages fit the viewport: no sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from events.models import Entry
from tests.e2e.helpers import assert_no_horizontal_overflow, colour, ensure_reference_data
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def published_event(db):
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True)
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=3)
    colours = ["Valencia Orange Metallic", "Alpine White", "Black Sapphire Metallic"]
    for slot, name in enumerate(colours, start=1):
        owner = UserFactory(display_name=f"Owner with a rather long display name number {slot}")
        car = VerifiedCarFactory(owner=owner, colour=colour(name), nickname=f"A long nickname for car {slot}")
        EntryFactory(session=session, car=car, driver=owner, slot=slot, status=Entry.Status.CONFIRMED)
    return event


# The main public pages and the heading each shows (None: one level-1 heading, whatever its words).
MAIN_PAGES = [
    ("home", "/", "The BMW 1 Series M Coupé register"),
    ("register", "/register/", None),
    ("stats", "/register/stats/", None),
    ("events", "/events/", "Events"),
    ("event", "/events/nurburgring-2031/", "Nürburgring gathering 2031"),
    ("roster", "/events/nurburgring-2031/roster/", "Roster: Nürburgring gathering 2031"),
    ("language", "/language/", "Language"),
]


def test_main_pages_fit_viewport_without_horizontal_scroll(page, live_server, shot, published_event):
    # One journey through all of them (a browser context and a test database each would cost more than the pages).
    for name, path, heading in MAIN_PAGES:
        response = page.goto(f"{live_server.url}{path}")

        assert response.status == 200, path
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        else:
            expect(page.get_by_role("heading", level=1)).to_have_count(1)
        expect(page.get_by_role("main")).to_be_visible()
        shot(name)
        assert_no_horizontal_overflow(page)


def test_language_is_chosen_from_the_footer_and_brings_the_reader_back(page, live_server, shot, published_event):
    page.goto(f"{live_server.url}/events/nurburgring-2031/roster/")

    page.get_by_role("link", name="Language: English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Language")
    shot("language")
    page.get_by_role("button", name="Deutsch").click()

    expect(page).to_have_url(f"{live_server.url}/events/nurburgring-2031/roster/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("link", name="Sprache: Deutsch")).to_be_visible()  # the footer in German too


def test_favicon_declared_and_served(page, live_server):
    # Without a declared icon Chromium asks for /favicon.ico on every page, and a 404 there is a console error.
    page.goto(f"{live_server.url}/")

    href = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href ?? null")

    assert href is not None, "templates/base.html declares no <link rel=icon>"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")
    # Pages without a declared icon (the admin's) make Chromium ask for /favicon.ico: it must resolve.
    fallback = page.request.get(f"{live_server.url}/favicon.ico")
    assert fallback.status == 200
    assert fallback.headers["content-type"].startswith("image/")
