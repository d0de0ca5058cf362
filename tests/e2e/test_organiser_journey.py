"""Journey 2, the organiser: log into the admin, group the convoy by colour, move one car, publish the
roster, and the roster is then public."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from events.models import Entry
from tests.e2e.helpers import PASSWORD, colour, ensure_reference_data, path_of
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def convoy():
    """Four confirmed cars in sign-up order: orange, white, orange, black (slots 1–4)."""
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=10)
    cars = {}
    for slot, (nickname, colour_name) in enumerate(
        [
            ("Ember", "Valencia Orange Metallic"),
            ("Frost", "Alpine White"),
            ("Blaze", "Valencia Orange Metallic"),
            ("Shadow", "Black Sapphire Metallic"),
        ],
        start=1,
    ):
        car = VerifiedCarFactory(nickname=nickname, colour=colour(colour_name))
        EntryFactory(session=session, car=car, slot=slot)
        cars[nickname] = car
    # A second session, so the admin's session filter has a choice to offer.
    gp = SessionFactory(event=event, name="GP circuit session", slug="gp", capacity=10)
    for slot, colour_name in enumerate(["Alpine White", "Valencia Orange Metallic"], start=1):
        EntryFactory(session=gp, car=VerifiedCarFactory(nickname=f"GP {slot}", colour=colour(colour_name)), slot=slot)
    return session, cars


def _slot_order(session) -> list[str]:
    return [e.car.nickname for e in Entry.objects.confirmed().filter(session=session).in_slot_order()]


def test_organiser_groups_convoy_by_colour_moves_a_car_and_publishes_roster(page, live_server, shot, browser, convoy):
    session, cars = convoy
    event = session.event
    organiser = UserFactory(email="organiser@example.org", display_name="Orla Organiser", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    base = live_server.url
    roster_url = f"{base}/events/{event.slug}/roster/"

    # Before publishing, the public gets a 404 for the roster (asked outside the page: no console noise).
    assert page.request.get(roster_url).status == 404

    # Log into the admin through its login form.
    page.goto(f"{base}/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    page.get_by_label("Email address").fill("organiser@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Site administration")
    shot("admin-index")

    # Entries → this session's entries → "auto-assign grouped by colour".
    page.get_by_role("link", name="Entries", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Select entry to change")
    page.get_by_role("link", name=str(session), exact=True).click()
    expect(page).to_have_url(re.compile(rf"session__id__exact={session.pk}"))
    car_column = page.locator("#result_list .field-car_label")
    expect(car_column).to_have_text([str(cars[n]) for n in ("Ember", "Frost", "Blaze", "Shadow")])
    page.get_by_role("checkbox", name="Select all objects on this page for an action").check()
    page.get_by_role("combobox", name=re.compile(r"^Action")).select_option(
        label="Auto-assign slots grouped by colour (whole sessions)"
    )
    shot("entries-action")
    page.get_by_role("button", name="Go").click()

    # The larger colour group (orange) first, then white, then black; sign-up order inside a group.
    expect(page.locator("ul.messagelist")).to_have_text("Slots assigned in 1 session(s).")
    expect(car_column).to_have_text([str(cars[n]) for n in ("Ember", "Blaze", "Frost", "Shadow")])
    slot_inputs = page.locator("#result_list tbody .field-slot input")
    assert slot_inputs.evaluate_all("inputs => inputs.map(i => i.value)") == ["1", "2", "3", "4"]
    assert _slot_order(session) == ["Ember", "Blaze", "Frost", "Shadow"]
    gp = event.sessions.get(slug="gp")
    assert _slot_order(gp) == ["GP 1", "GP 2"]  # only the selected entries' session was regrouped
    shot("entries-by-colour")

    # Move one car: the session's convoy-order page, "Shadow" one place up, save.
    page.goto(f"{base}/admin/events/session/{session.pk}/change/")
    page.get_by_role("link", name="Convoy order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Convoy order: {session}")
    items = page.locator("#convoy-list .convoy-car")
    expect(items).to_have_text([f"{cars[n]} · {cars[n].colour_label}" for n in ("Ember", "Blaze", "Frost", "Shadow")])
    page.get_by_role("button", name=f"Move {cars['Shadow']} up").click()
    expect(page.get_by_role("status")).to_have_text(f"{cars['Shadow']} moved to place 3")
    expect(page.locator("#convoy-list .convoy-position")).to_have_text(["1", "2", "3", "4"])
    shot("convoy-moved")
    # In a convoy longer than the window (here: a short window), "Save order" stays in view at its bottom.
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 250})
    page.locator("#convoy-list").evaluate("list => list.scrollIntoView()")
    expect(page.get_by_role("button", name="Save order")).to_be_in_viewport()
    page.set_viewport_size(size)
    # Leaving with the move unsaved: the browser asks first; staying keeps the move on the page.
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.locator(".breadcrumbs").get_by_role("link", name=str(session)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Convoy order: {session}")
    assert asked == ["beforeunload"]
    expect(page.locator("#convoy-list .convoy-position")).to_have_text(["1", "2", "3", "4"])
    page.get_by_role("button", name="Save order").click()
    expect(page.locator("ul.messagelist")).to_have_text("Convoy order saved.")
    expect(items).to_have_text([f"{cars[n]} · {cars[n].colour_label}" for n in ("Ember", "Blaze", "Shadow", "Frost")])
    assert _slot_order(session) == ["Ember", "Blaze", "Shadow", "Frost"]

    # Events → publish the roster.
    page.goto(f"{base}/admin/events/event/")
    page.get_by_role(
        "checkbox", name=re.compile(rf"Select this object for an action - {re.escape(event.name)}")
    ).check()
    page.get_by_role("combobox", name=re.compile(r"^Action")).select_option(label="Publish the roster")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish the roster?")
    shot("publish-confirm")
    page.get_by_role("button", name="Yes, publish").click()
    expect(page.locator("ul.messagelist")).to_have_text("Roster published for 1 event.")
    event.refresh_from_db()
    assert event.roster_published is True
    shot("roster-published")

    # Anyone may now read it, in the new slot order.
    anonymous = browser.new_context(viewport=page.viewport_size)
    try:
        public = anonymous.new_page()
        response = public.goto(roster_url)
        assert response.status == 200
        assert path_of(public, base) == f"/events/{event.slug}/roster/"
        expect(public.get_by_role("heading", level=1)).to_have_text(f"Roster: {event.name}")
        expect(public.get_by_text("Preview — not published")).to_have_count(0)
        # An anonymous visitor (the navigation offers to log in; at 375 px it sits behind the toggler).
        expect(public.get_by_role("link", name="Log in", include_hidden=True)).to_have_count(1)
        convoy_section = public.get_by_role("region", name="Nordschleife convoy")
        slots = convoy_section.locator(".roster-table tbody tr td:first-child")
        expect(slots).to_have_text(["1", "2", "3", "4"])
        nicknames = convoy_section.locator(".roster-table tbody tr td:nth-child(4)")
        expect(nicknames).to_have_text(["Ember", "Blaze", "Shadow", "Frost"])
    finally:
        anonymous.close()
