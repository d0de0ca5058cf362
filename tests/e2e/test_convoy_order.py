"""Two organisers (or two tabs) on one convoy-order page: the later save, made against the order as it was,
is refused and shows the current order; nothing the first one saved is undone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from events import services
from events.models import Entry, PendingNotice
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import PASSWORD, colour, ensure_reference_data, watch_errors
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAMES = [(11, "Ember"), (12, "Frost"), (13, "Blaze"), (14, "Pearl"), (21, "Shadow")]


def _slot_order(session) -> list[str]:
    return [str(e.car) for e in Entry.objects.confirmed().filter(session=session).in_slot_order()]


def _open_convoy_page(browser, base: str, session, viewport: str):
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = watch_errors(page)
    page.goto(f"{base}/admin/login/?next=/admin/events/session/{session.pk}/convoy/")
    page.get_by_label("Email address").fill("orla@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Convoy order: {session}")
    return context, page, errors


def test_a_stale_convoy_page_cannot_undo_another_organisers_save(browser, live_server, viewport):
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=10)
    cars = {}
    for slot, (number, nickname) in enumerate(NAMES, start=1):
        cars[number] = VerifiedCarFactory(register_number=number, nickname=nickname, colour=colour("Alpine White"))
        EntryFactory(session=session, car=cars[number], slot=slot)
    services.roster_publish(event=event)  # from now on a moved car's driver gets a notice
    organiser = UserFactory(email="orla@example.org", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    base = live_server.url

    context_a, tab_a, errors_a = _open_convoy_page(browser, base, session, viewport)
    context_b, tab_b, errors_b = _open_convoy_page(browser, base, session, viewport)
    try:
        # Tab A: #21 to the front, save.
        for _ in range(4):
            tab_a.get_by_role("button", name=f"Move {cars[21]} up").click()
        expect(tab_a.get_by_role("status")).to_have_text(f"{cars[21]} moved to place 1")
        tab_a.get_by_role("button", name="Save order").click()
        expect(tab_a.locator("ul.messagelist")).to_have_text("Convoy order saved.")
        assert _slot_order(session) == ["#21 Shadow", "#11 Ember", "#12 Frost", "#13 Blaze", "#14 Pearl"]
        notices = PendingNotice.objects.count()

        # Tab B, still showing the old order (#21 last): one car moves, save.
        expect(tab_b.locator("#convoy-list .convoy-car")).to_have_text(
            [f"{cars[n]} · Alpine White" for n in (11, 12, 13, 14, 21)]
        )
        tab_b.get_by_role("button", name=f"Move {cars[13]} up").click()
        tab_b.get_by_role("button", name="Save order").click()

        # Refused, in words, with the current order shown; #21 stays first and nobody is told of a move.
        expect(tab_b.locator("ul.messagelist .error")).to_have_text(
            "Someone changed this convoy's order after you opened the page, so your order was not saved. "
            "Since then: #21 Shadow moved to place 1 (was 5). Below is the current order: make your moves "
            "again and save."
        )
        expect(tab_b.locator("ul.messagelist .success")).to_have_count(0)
        expect(tab_b.locator("#convoy-list .convoy-car")).to_have_text(
            [f"{cars[n]} · Alpine White" for n in (21, 11, 12, 13, 14)]
        )
        assert _slot_order(session) == ["#21 Shadow", "#11 Ember", "#12 Frost", "#13 Blaze", "#14 Pearl"]
        assert PendingNotice.objects.count() == notices

        # From the current order, B's move saves.
        tab_b.get_by_role("button", name=f"Move {cars[13]} up").click()
        tab_b.get_by_role("button", name="Save order").click()
        expect(tab_b.locator("ul.messagelist")).to_have_text("Convoy order saved.")
        assert _slot_order(session) == ["#21 Shadow", "#11 Ember", "#13 Blaze", "#12 Frost", "#14 Pearl"]
    finally:
        context_a.close()
        context_b.close()
    assert (errors_a, errors_b) == ([], [])
