"""The gate on a 375 px phone: scan a real ticket through Chromium's fake camera, check in, scan again;
the camera keeps scanning from car to car; and check a car in by searching for it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from events.models import Entry
from tests.e2e.camera import launch_with_camera, ticket_frame, write_y4m, write_y4m_clips
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, gate_day, log_in, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def gate():
    return gate_day(first_register_number=100)


def test_scan_a_ticket_with_the_camera_check_in_and_scan_again(browser, live_server, gate, tmp_path, request):
    event, session, entries = gate
    frost = entries[1]
    video = write_y4m(ticket_frame(frost.ticket_token), tmp_path / "ticket.y4m")
    camera_browser = launch_with_camera(browser, video)
    request.addfinalizer(camera_browser.close)
    context = camera_browser.new_context(viewport=VIEWPORTS["mobile"], permissions=["camera"])
    page = context.new_page()
    errors = watch_errors(page)

    log_in(page, live_server.url, email="organiser@example.org")
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    assert_no_horizontal_overflow(page)
    expect(page.locator(f'[data-session="{session.pk}"]')).to_contain_text("0 / 3")

    page.get_by_role("button", name="Start the camera").click()
    result = page.get_by_test_id("checkin-result")
    expect(result.locator(".checkin-slot")).to_have_text("Slot 2")
    expect(result).to_contain_text("#102")
    expect(result).to_contain_text("Frost")
    assert_no_horizontal_overflow(page)

    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Checked in: {frost.car}, Nordschleife convoy.")
    expect(page.locator(f'[data-session="{session.pk}"]')).to_contain_text("1 / 3")
    assert Entry.objects.get(pk=frost.pk).checked_in_at is not None

    # The camera came back by itself; stopped and started on purpose, it reads the same ticket again.
    page.get_by_role("button", name="Stop the camera").click()
    page.get_by_role("button", name="Start the camera").click()
    expect(page.locator(".checkin-already")).to_contain_text("Already checked in at")
    expect(page.locator(".checkin-already")).to_contain_text("by Orla Organiser")
    expect(page.get_by_role("button", name="Check in")).to_have_count(0)
    context.close()
    assert errors == []


def test_the_camera_keeps_scanning_from_car_to_car(browser, live_server, gate, tmp_path, request):
    event, session, entries = gate
    frost, shadow = entries[1], entries[2]
    # Frost's ticket for 4 s, then Shadow's for 4 s, looping: the next car drives up while the camera runs.
    clips = [(ticket_frame(frost.ticket_token), 20), (ticket_frame(shadow.ticket_token), 20)]
    camera_browser = launch_with_camera(browser, write_y4m_clips(clips, tmp_path / "two-tickets.y4m", fps=5))
    request.addfinalizer(camera_browser.close)
    context = camera_browser.new_context(viewport=VIEWPORTS["mobile"], permissions=["camera"])
    page = context.new_page()
    errors = watch_errors(page)
    looked_up = []
    page.on(
        "request",
        lambda r: looked_up.append(parse_qs(urlsplit(r.url).query)["code"][0]) if "code=" in r.url else None,
    )

    log_in(page, live_server.url, email="organiser@example.org")
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    page.get_by_role("button", name="Start the camera").click()
    result = page.get_by_test_id("checkin-result")
    expect(result.locator(".checkin-slot")).to_have_text("Slot 2")
    page.evaluate("window.stillThisPage = true")
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"Checked in: {frost.car}, Nordschleife convoy.")
    expect(page.locator(f'[data-session="{session.pk}"]')).to_contain_text("1 / 3")

    # No tap: the camera stayed on, and Shadow's ticket is shown as soon as it is in front of it.
    expect(page.get_by_role("button", name="Stop the camera")).to_be_visible()
    expect(result.locator(".checkin-slot")).to_have_text("Slot 3", timeout=15_000)
    expect(result).to_contain_text("#103")
    expect(result).to_contain_text("Shadow")
    expect(result.get_by_role("button", name="Check in")).to_be_visible()
    expect(page.locator("#messages")).to_have_count(0)
    # Frost's ticket, still in front of the camera after its check-in, was not looked up again.
    assert looked_up[:2] == [frost.ticket_token, shadow.ticket_token]
    assert all(a != b for a, b in zip(looked_up, looked_up[1:], strict=False))
    assert Entry.objects.get(pk=shadow.pk).checked_in_at is None
    assert Entry.objects.get(pk=frost.pk).checked_in_at is not None
    assert page.evaluate("window.stillThisPage") is True  # checked in without a page load

    # A page load (here a reload) turns the camera back on when the organiser had it on, not when off. The
    # address stayed the bare check-in page (no ticket's code in the history): the reload opens it.
    assert page.url == f"{live_server.url}/events/{event.slug}/check-in/"
    page.reload()
    expect(page.get_by_role("button", name="Stop the camera")).to_be_visible()
    page.get_by_role("button", name="Stop the camera").click()
    page.reload()
    expect(page.get_by_role("button", name="Start the camera")).to_be_visible()
    expect(page.locator("#scan-video")).to_be_hidden()
    context.close()
    assert errors == []


def test_check_in_by_search_and_live_count_moves(page, viewport, live_server, gate):
    event, session, entries = gate
    ember = entries[0]
    log_in(page, live_server.url, email="organiser@example.org")
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    counts = page.locator(f'[data-session="{session.pk}"]')
    expect(counts).to_contain_text("0 / 3")

    page.get_by_label("Short code, register number, slot or name").fill("ember")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("checkin-result").locator(".checkin-slot")).to_have_text("Slot 1")
    page.get_by_role("button", name="Check in").click()
    expect(counts).to_contain_text("1 / 3")
    assert_no_horizontal_overflow(page)

    # Another organiser checks Shadow in at the other gate: this page's count follows by itself.
    from events import services

    services.entry_check_in(entry=entries[2], by=None)
    expect(counts).to_contain_text("2 / 3", timeout=12_000)
    assert Entry.objects.get(pk=ember.pk).checked_in_at is not None
