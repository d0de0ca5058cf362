"""The convoy picture on a phone (375 px, touch) and at desktop width: find my car, tap a car, focus a car."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, colour, ensure_reference_data, watch_errors
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PAINTS = ["Valencia Orange Metallic", "Alpine White", "Black Sapphire Metallic"]


@pytest.fixture
def convoy():
    """A published convoy of 25 cars behind the pace car; mine is #10500 "Orange Juice" in slot 17."""
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True)
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=30)
    me = UserFactory(email="me@example.org", display_name="Mia Mine", show_name_publicly=True)
    for slot in range(1, 26):
        if slot == 17:
            car = VerifiedCarFactory(
                owner=me, register_number=10500, nickname="Orange Juice", colour=colour(PAINTS[0])
            )
        else:
            car = VerifiedCarFactory(colour=colour(PAINTS[slot % 3]), nickname=f"Car {slot}")
        EntryFactory(session=session, car=car, driver=car.owner, slot=slot)
    return event


@pytest.fixture
def touch_page(browser, viewport):
    """A phone-like context at 375 px: touch events and a mobile viewport; desktop stays a mouse."""
    mobile = viewport == "mobile"
    context = browser.new_context(viewport=VIEWPORTS[viewport], has_touch=mobile, is_mobile=mobile)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == []


def press(page, locator, viewport):
    if viewport == "mobile":
        locator.tap()
    else:
        locator.click()


def test_find_my_car_and_tap_a_car_in_the_convoy_picture(touch_page, live_server, convoy, viewport):
    page = touch_page
    page.goto(f"{live_server.url}/events/{convoy.slug}/roster/")
    picture = page.get_by_role("group", name="Convoy order of Nordschleife convoy: 25 cars")
    expect(picture).to_be_visible()
    # Every car carries its slot number.
    expect(picture.locator(".convoy-cars text")).to_have_text([str(n) for n in range(1, 26)])
    assert_no_horizontal_overflow(page)

    # Find my car by register number: highlighted in the picture and in the list, named below the picture.
    page.get_by_label("Register number or nickname").fill("10500")
    press(page, page.get_by_role("button", name="Find", exact=True), viewport)
    mine = picture.locator(".convoy-cars a.is-selected")
    expect(mine).to_have_count(1)
    expect(mine.locator("text")).to_have_text("17")
    info = page.get_by_role("status").filter(has_text="Slot 17")
    expect(info).to_contain_text("Slot 17, #10500, “Orange Juice”, Valencia Orange Metallic")
    expect(page.locator(".roster-table tr.is-selected td.nick")).to_have_text("Orange Juice")
    assert page.url.endswith("/roster/")  # found on this page, no round trip
    page.screenshot(path=_artifact(f"find-my-car-{viewport}"), full_page=False)

    # Tap another car: it says which car it is, and links to it.
    third = picture.locator(".convoy-cars a").nth(2)
    press(page, third, viewport)
    expect(page.get_by_role("status").filter(has_text="Slot 3")).to_contain_text("Slot 3, #")
    expect(page.locator(".roster-table tr.is-selected td.slot")).to_have_text("3")
    page.screenshot(path=_artifact(f"tapped-car-{viewport}"), full_page=False)

    # Keyboard: focusing a car names it too.
    picture.locator(".convoy-cars a").nth(4).focus()
    expect(page.locator(".convoy-info").filter(has_text="Slot 5")).to_be_visible()

    # Find by nickname (any case), then open the car's page from the note under the picture.
    page.get_by_label("Register number or nickname").fill("orange juice")
    page.get_by_label("Register number or nickname").press("Enter")
    expect(page.locator(".convoy-info")).to_contain_text("#10500")
    press(page, page.get_by_role("link", name="Open the car's page"), viewport)
    expect(page).to_have_url(f"{live_server.url}/register/cars/10500/")


def test_find_my_car_without_a_match_says_so(touch_page, live_server, convoy, viewport):
    page = touch_page
    page.goto(f"{live_server.url}/events/{convoy.slug}/roster/")

    page.get_by_label("Register number or nickname").fill("Nobody's car")
    page.get_by_role("button", name="Find", exact=True).click()

    expect(page.locator("#error_1_id_find")).to_have_text(
        "No car with the register number or nickname “Nobody's car” in this roster."
    )
    assert_no_horizontal_overflow(page)


def _artifact(name: str) -> str:
    from tests.e2e.conftest import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / f"convoy-{name}.png")


def test_at_the_track_home_to_sign_up_to_finding_my_car_by_tapping(touch_page, live_server, viewport):
    """Issue 12's "done when": on a phone, the next gathering from the home page, sign up, then find my own
    car in the published convoy by tapping."""
    from events.models import Entry
    from events.services import roster_publish
    from tests.e2e.helpers import log_in, open_nav_if_collapsed

    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=12)
    for slot in range(1, 9):
        EntryFactory(session=session, car=VerifiedCarFactory(colour=colour(PAINTS[slot % 3])), slot=slot)
    me = UserFactory(email="me@example.org", display_name="Mia Mine")
    VerifiedCarFactory(owner=me, register_number=4711, nickname="Kölsch", colour=colour(PAINTS[0]))
    page = touch_page
    base = live_server.url
    log_in(page, base, email="me@example.org")

    # Home: the next gathering, with its places left and a sign-up button.
    page.goto(f"{base}/")
    gathering = page.get_by_role("region", name="Next gathering")
    expect(gathering.get_by_role("link", name="Nürburgring gathering 2031")).to_be_visible()
    expect(gathering.get_by_text("4 places left")).to_be_visible()
    assert_no_horizontal_overflow(page)
    press(page, gathering.get_by_role("link", name="Sign up your car"), viewport)

    # The event page: sign the car up.
    expect(page.get_by_role("heading", level=1)).to_have_text("Nürburgring gathering 2031")
    card = page.get_by_role("region", name="Nordschleife convoy")
    card.get_by_label("Car").select_option(label="#4711 · Kölsch · Valencia Orange Metallic")
    press(page, card.get_by_role("button", name="Sign up"), viewport)
    expect(page.get_by_role("alert").filter(has_text="confirmed, slot 9")).to_be_visible()
    entry = Entry.objects.get(car__register_number=4711)
    assert (entry.status, entry.slot) == (Entry.Status.CONFIRMED, 9)

    # The organisers publish the roster; the home page shows it, and leads to it.
    roster_publish(event=event)
    page.goto(f"{base}/")
    press(page, page.get_by_role("region", name="Latest roster").get_by_role("link"), viewport)
    expect(page.get_by_role("heading", level=1)).to_have_text("Roster: Nürburgring gathering 2031")

    # Find my car by tapping it in the picture: slot 9.
    picture = page.get_by_role("group", name="Convoy order of Nordschleife convoy: 9 cars")
    press(page, picture.get_by_role("link", name=re.compile(r"^Slot 9, ")), viewport)
    expect(page.locator(".convoy-info")).to_contain_text("Slot 9, #4711, “Kölsch”, Valencia Orange Metallic")
    expect(page.locator(".roster-table tr.is-selected td.nick")).to_have_text("Kölsch")
    assert_no_horizontal_overflow(page)
    open_nav_if_collapsed(page)


def test_convoy_picture_reads_without_javascript(browser, live_server, convoy, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/events/{convoy.slug}/roster/")
        picture = page.get_by_role("group", name="Convoy order of Nordschleife convoy: 25 cars")
        expect(picture.locator(".convoy-cars text")).to_have_count(25)
        # No row of cars is cut off: every car lies inside the picture.
        box = picture.bounding_box()
        for car in picture.locator(".convoy-cars rect").all():
            rect = car.bounding_box()
            assert rect["y"] + rect["height"] <= box["y"] + box["height"] + 0.5
            assert rect["x"] + rect["width"] <= box["x"] + box["width"] + 0.5
        # A car is a link to its row in the list, which the browser marks as the target.
        picture.locator(".convoy-cars a").nth(16).click()
        assert page.url.endswith("#" + page.locator(".roster-table tr:target").get_attribute("id"))
        expect(page.locator(".roster-table tr:target td.nick")).to_have_text("Orange Juice")
        expect(page.locator(".convoy-info")).to_be_hidden()
        assert_no_horizontal_overflow(page)
    finally:
        context.close()


def test_print_view_keeps_the_table(browser, live_server, convoy):
    context = browser.new_context(viewport=VIEWPORTS["mobile"])
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/events/{convoy.slug}/roster/")
        expect(page.locator(".roster-table thead")).to_have_css("position", "absolute")  # stacked on screen
        page.emulate_media(media="print")
        expect(page.locator(".roster-table thead")).to_have_css("display", "table-header-group")
        expect(page.locator(".roster-table tbody tr").first).to_have_css("display", "table-row")
        expect(page.locator(".roster-find")).to_be_hidden()
    finally:
        context.close()


@pytest.fixture
def long_convoy():
    """A published convoy of 105 cars: the list shows 100 a page, so the last five are on page 2."""
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2025", slug="nurburgring-2025", roster_published=True)
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=105)
    for slot in range(1, 106):
        car = VerifiedCarFactory(colour=colour(PAINTS[slot % 3]), nickname=f"Car {slot}")
        EntryFactory(session=session, car=car, driver=car.owner, slot=slot)
    return event


def test_convoy_picture_shows_every_car_on_every_page_of_the_list(touch_page, live_server, long_convoy, viewport):
    page = touch_page
    page.goto(f"{live_server.url}/events/{long_convoy.slug}/roster/")
    picture = page.get_by_role("group", name="Convoy order of Nordschleife convoy: 105 cars")
    expect(picture.locator(".convoy-cars text")).to_have_text([str(n) for n in range(1, 106)])
    expect(page.locator(".roster-table tbody tr")).to_have_count(100)
    box = picture.bounding_box()
    last = picture.locator(".convoy-cars rect").last.bounding_box()
    assert last["y"] + last["height"] <= box["y"] + box["height"] + 0.5

    # A car listed on page 2: the note under the picture names it and leads to its row there.
    press(page, picture.get_by_role("link", name=re.compile(r"^Slot 103, ")), viewport)
    expect(page.locator(".convoy-info")).to_contain_text("Slot 103, #")
    page.locator(".convoy-info").get_by_role("link", name="Show it in the list").click()
    expect(page).to_have_url(re.compile(r"\?session=nordschleife&page=2#entry-\d+$"))
    expect(page.locator(".roster-table tr.is-selected td.nick")).to_have_text("Car 103")

    # Page 2 lists five cars and still draws all 105.
    picture = page.get_by_role("group", name="Convoy order of Nordschleife convoy: 105 cars")
    expect(picture.locator(".convoy-cars text")).to_have_text([str(n) for n in range(1, 106)])
    expect(page.locator(".roster-table tbody tr")).to_have_count(5)
    assert_no_horizontal_overflow(page)
