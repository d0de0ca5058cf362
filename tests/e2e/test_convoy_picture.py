"""The convoy picture on a phone (375 px, touch) and at desktop width: find my car, tap a car, focus a car."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, colour, ensure_reference_data
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
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
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
