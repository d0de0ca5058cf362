"""Type size at the gate, measured in Chromium at 375 px: the organiser reads slot, colour and register number
at arm's length in sunlight, and the driver reads the ticket's code out through the car window. A stylesheet
change that drops these rules fails here (static/css/events.css lost them once without anyone noticing)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.e2e.camera import launch_with_camera, ticket_frame, write_y4m
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, gate_day, log_in, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SLOT_PX = 48
CAR_PX = 28
CODE_PX = 24


@pytest.fixture
def gate():
    return gate_day(first_register_number=200)


def font_px(locator: Locator) -> float:
    return locator.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")


def assert_result_in_large_type(result: Locator, *, slot: int, colour: str, register_number: int) -> None:
    """Slot, colour and register number of a check-in result are large, and shown large (not clipped)."""
    slot_line = result.locator(".checkin-slot")
    expect(slot_line).to_have_text(f"Slot {slot}")
    assert font_px(slot_line) >= SLOT_PX
    box = slot_line.bounding_box()
    assert box["height"] >= SLOT_PX
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS["mobile"]["width"]
    for text in (colour, f"#{register_number}"):
        line = result.get_by_text(text, exact=True)
        expect(line).to_be_visible()
        assert font_px(line) >= CAR_PX, f"{text!r} is {font_px(line)} px"
        assert line.bounding_box()["height"] >= CAR_PX


@pytest.mark.parametrize("viewport", ["mobile"])
def test_check_in_result_found_by_search_is_in_large_type(page, live_server, gate):
    event, _session, entries = gate
    log_in(page, live_server.url, email="organiser@example.org")
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/?q=ember")

    result = page.get_by_test_id("checkin-result")

    assert_result_in_large_type(result, slot=1, colour="Valencia Orange Metallic", register_number=201)
    assert font_px(result.get_by_role("button", name="Check in")) >= CAR_PX
    assert_no_horizontal_overflow(page)


def test_check_in_result_put_in_by_the_camera_is_in_large_type(browser, live_server, gate, tmp_path, request):
    event, _session, entries = gate
    camera_browser = launch_with_camera(browser, write_y4m(ticket_frame(entries[2].ticket_token), tmp_path / "t.y4m"))
    request.addfinalizer(camera_browser.close)
    context = camera_browser.new_context(viewport=VIEWPORTS["mobile"], permissions=["camera"])
    page = context.new_page()
    errors = watch_errors(page)
    log_in(page, live_server.url, email="organiser@example.org")
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    page.evaluate("window.stillThisPage = true")

    page.get_by_role("button", name="Start the camera").click()
    result = page.get_by_test_id("checkin-result")

    assert_result_in_large_type(result, slot=3, colour="Black Sapphire Metallic", register_number=203)
    assert page.evaluate("window.stillThisPage") is True  # inserted by checkin.js, not a page load
    assert_no_horizontal_overflow(page)
    context.close()
    assert errors == []


@pytest.mark.parametrize("viewport", ["mobile"])
def test_ticket_code_to_read_out_is_in_large_type(page, live_server, gate):
    _event, _session, entries = gate
    entry = entries[0]
    log_in(page, live_server.url, email=entry.driver.email)
    page.goto(f"{live_server.url}{entry.get_ticket_url()}")

    code = page.get_by_text(entry.ticket_code_display, exact=True)

    expect(code).to_be_visible()
    assert font_px(code) >= CODE_PX
    assert code.bounding_box()["height"] >= CODE_PX
    assert font_px(page.get_by_text("Slot 1", exact=True)) >= CODE_PX
    qr = page.get_by_role("img", name="QR code of this ticket")
    assert qr.bounding_box()["width"] >= 200
    assert_no_horizontal_overflow(page)
