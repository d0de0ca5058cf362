"""The published roster's "Find my car": a search after a failed one shows no trace of the failure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import colour, ensure_reference_data
from tests.factories import EntryFactory, EventFactory, SessionFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NOT_FOUND = "No car with the register number or nickname “Nobody” in this roster."


def test_find_my_car_after_a_failed_search_clears_the_old_error(page, live_server):
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True)
    convoy = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife")
    for slot, name in enumerate(["Ember", "Frost"], start=1):
        car = VerifiedCarFactory(nickname=name, colour=colour("Alpine White"))
        EntryFactory(session=convoy, car=car, driver=car.owner, slot=slot)
    page.goto(f"{live_server.url}/events/{event.slug}/roster/")
    find = page.get_by_role("search", name="Find my car")
    field = find.get_by_label("Register number or nickname")

    # Not on this page: the server answers with the error under the field.
    field.fill("Nobody")
    find.get_by_role("button", name="Find").click()
    expect(find.get_by_text(NOT_FOUND)).to_be_visible()

    # Found on this page, without asking the server: the car is selected and the old error is gone.
    field = page.get_by_role("search", name="Find my car").get_by_label("Register number or nickname")
    field.fill("Frost")
    page.get_by_role("search", name="Find my car").get_by_role("button", name="Find").click()
    expect(page.locator(".roster-table tr.is-selected td.nick")).to_have_text("Frost")
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)
    expect(field).not_to_have_class("form-control is-invalid")
    expect(field).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-find-status]")).to_have_text("")
