"""Browser journeys of the declaration, at 375 px with axe-core: sign up, read and sign by drawing (a mouse drag on
the canvas) and download the signed PDF, in English and German; sign by keyboard alone; the organiser publishes a
new version, the driver is asked again, and the gate shows "Declaration signed v2" and the organisers' attention
note in large type."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from events.models import DeclarationSignature, Entry
from events.services import attention_flag
from tests.e2e.checks import assert_accessible, assert_valid_html, page_html
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import (
    PASSWORD,
    assert_no_horizontal_overflow,
    ensure_reference_data,
    label,
    log_in,
    watch_errors,
)
from tests.e2e.test_gate_type import CAR_PX, font_px
from tests.events.declaring import published
from tests.factories import EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LINE_PX = 28  # the gate's declaration line: as large as the car's colour and number (tests/e2e/test_gate_type.py)
SAYS = {
    "en": {
        "accept": "en-GB",
        "email": "Email",
        "password": "Password",
        "log_in": "Log in",
        "sign_up": "Sign up",
        "heading": "Declaration · Nürburgring gathering 2031",
        "name": "Full name",
        "sign": "Sign the declaration",
        "thanks": "Thank you: the declaration is signed.",
        "download": "Download the signed PDF",
        "typed": "I sign by typing my name (no drawing)",
        "status": "Declaration signed (v1)",
        "text": "own risk",
    },
    "de": {
        "accept": "de-DE",
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "log_in": "Einloggen",
        "sign_up": "Anmelden",
        "heading": "Erklärung · Nürburgring gathering 2031",
        "name": "Vollständiger Name",
        "sign": "Erklärung unterschreiben",
        "thanks": "Danke: Die Erklärung ist unterschrieben.",
        "download": "Unterschriebenes PDF herunterladen",
        "typed": "Ich unterschreibe, indem ich meinen Namen eintippe (ohne Zeichnen)",
        "status": "Erklärung unterschrieben (v1)",
        "text": "eigene Gefahr",
    },
}


@pytest.fixture
def track_day():
    """An organiser, an event whose session needs the declaration (v1 published), a driver with a car."""
    ensure_reference_data()
    organiser = UserFactory(email="organiser@example.org", display_name="Orla Organiser", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="GP circuit session", slug="gp", declaration_required=True)
    published(event)
    car = VerifiedCarFactory(nickname="Ember", owner=UserFactory(email="dana@example.org", display_name="Dana D"))
    return event, session, car


def new_page(browser, language: str = "en") -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=VIEWPORTS["mobile"], locale=SAYS[language]["accept"], accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page, watch_errors(page)


def log_in_in(page: Page, base: str, email: str, says: dict) -> None:
    """Log in through allauth's form in the page's language."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(label(says["email"])).fill(email)
    page.get_by_label(label(says["password"])).fill(PASSWORD)
    page.get_by_role("button", name=says["log_in"]).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def sign_up(page: Page, base: str, event, says: dict) -> None:
    page.goto(f"{base}/events/{event.slug}/")
    card = page.get_by_role("region", name="GP circuit session")
    card.get_by_role("combobox").select_option(index=1)
    card.get_by_role("button", name=says["sign_up"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(says["heading"])


def draw(page: Page) -> None:
    """A signature drawn with the mouse: a zigzag dragged across the canvas."""
    canvas = page.locator("canvas.signature-canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 20, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 20 + step * (box["width"] - 40) / 11, y + (35 if step % 2 else -35), steps=4)
    page.mouse.up()


@pytest.mark.parametrize("language", ["en", "de"])
def test_sign_up_read_and_sign_by_drawing_then_download_the_pdf(browser, live_server, track_day, language):
    event, _session, car = track_day
    says, base = SAYS[language], live_server.url
    car.owner.language = language  # the account's language wins over the browser's once logged in
    car.owner.save(update_fields=["language"])
    page, errors = new_page(browser, language)
    log_in_in(page, base, car.owner.email, says)

    sign_up(page, base, event, says)

    expect(page.get_by_text(says["text"]).first).to_be_visible()
    assert_accessible(page)
    assert_no_horizontal_overflow(page)
    page.get_by_label(says["name"], exact=True).fill("Dana Driver")
    draw(page)
    page.get_by_role("button", name=says["sign"]).click()
    expect(page.get_by_role("alert").filter(has_text=says["thanks"])).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=says["download"]).click()
    content = Path(download.value.path()).read_bytes()
    signature = DeclarationSignature.objects.get()
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == signature.sha256
    assert (signature.method, signature.language, signature.name) == ("drawn", language, "Dana Driver")
    page.goto(f"{base}/events/my-entries/")
    expect(page.get_by_test_id("declaration-status")).to_contain_text(says["status"])
    assert_accessible(page)
    page.context.close()
    assert errors == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_sign_by_keyboard_alone(browser, live_server, track_day, language):
    event, session, car = track_day
    says, base = SAYS[language], live_server.url
    car.owner.language = language
    car.owner.save(update_fields=["language"])
    page, errors = new_page(browser, language)
    log_in_in(page, base, car.owner.email, says)
    sign_up(page, base, event, says)
    documents = {f"declaration page, to sign ({language})": page_html(page)}

    page.get_by_label(says["name"], exact=True).focus()
    page.keyboard.type("Dana Keyboard")
    page.keyboard.press("Tab")
    expect(page.get_by_label(says["typed"])).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label(says["typed"])).to_be_checked()
    expect(page.locator("canvas.signature-canvas")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=says["sign"])).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert").filter(has_text=says["thanks"])).to_be_visible()
    signature = DeclarationSignature.objects.get()
    assert (signature.method, signature.name, signature.image.name, signature.language) == (
        "typed",
        "Dana Keyboard",
        "",
        language,
    )
    assert_accessible(page)
    documents[f"declaration page, signed ({language})"] = page_html(page)
    page.goto(f"{base}/events/my-entries/")
    expect(page.get_by_test_id("declaration-status")).to_contain_text(says["status"])
    documents[f"my entries ({language})"] = page_html(page)
    page.goto(f"{base}/events/{event.slug}/")
    documents[f"event page ({language})"] = page_html(page)
    assert_valid_html(documents)
    page.context.close()
    assert errors == []


def test_a_new_version_asks_again_and_the_gate_shows_it_in_large_type(browser, live_server, track_day):
    event, session, car = track_day
    base = live_server.url
    driver, driver_errors = new_page(browser)
    log_in(driver, base, email=car.owner.email)
    sign_up(driver, base, event, SAYS["en"])
    driver.get_by_label("Full name", exact=True).fill("Dana Driver")
    driver.get_by_label(SAYS["en"]["typed"]).check()
    driver.get_by_role("button", name="Sign the declaration").click()
    expect(driver.get_by_test_id("driver-signed")).to_contain_text("Declaration signed (v1)")

    # The organiser changes the text in the admin and publishes it as version 2.
    organiser, organiser_errors = new_page(browser)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    admin = context.new_page()
    log_in(admin, base, email="organiser@example.org")
    admin.goto(f"{base}/admin/events/declaration/{event.declaration.pk}/change/")
    admin.get_by_label("driver's declaration (English)").fill("I drive at my own risk. Helmets on at all times.")
    admin.get_by_role("button", name="Save and publish as a new version").click()
    expect(admin.get_by_text("version 2 published")).to_be_visible()
    context.close()

    driver.goto(f"{base}/events/my-entries/")
    status = driver.get_by_test_id("declaration-status")
    expect(status).to_contain_text("Please sign again (v2)")
    status.get_by_role("link", name="Please sign again (v2)").click()
    expect(driver.get_by_text("Helmets on at all times.")).to_be_visible()
    expect(driver.get_by_text("You signed version 1.", exact=False)).to_be_visible()
    driver.get_by_label("Full name", exact=True).fill("Dana Driver")
    draw(driver)
    driver.get_by_role("button", name="Sign the declaration").click()
    expect(driver.get_by_test_id("driver-signed")).to_contain_text("Declaration signed (v2)")
    assert DeclarationSignature.objects.filter(entry__car=car).count() == 2  # the first one is kept

    # The organisers flagged the entry for the gate (the admin's way: tests/e2e/test_gate_attention.py).
    entry = Entry.objects.get(car=car)
    by = UserFactory._meta.model.objects.get(email="organiser@example.org")
    attention_flag(entry=entry, by=by, note="First time on the Nordschleife")
    log_in(organiser, base, email="organiser@example.org")
    organiser.goto(f"{base}/events/{event.slug}/check-in/?entry={entry.pk}")
    line = organiser.get_by_test_id("gate-declaration").get_by_text("Declaration signed v2", exact=True)
    expect(line).to_be_visible()
    size = line.evaluate("element => parseFloat(getComputedStyle(element).fontSize)")
    assert size >= LINE_PX, f"the declaration line is {size} px"
    assert line.bounding_box()["height"] >= LINE_PX
    note = organiser.locator(".checkin-attention-note")
    expect(note).to_have_text("First time on the Nordschleife")
    assert font_px(note) >= CAR_PX, f"the attention note is {font_px(note)} px"
    assert_accessible(organiser)
    assert_no_horizontal_overflow(organiser)
    for page in (driver, organiser):
        page.context.close()
    assert driver_errors == [] and organiser_errors == []


def test_an_unsigned_declaration_is_signed_on_the_organisers_phone(browser, live_server, track_day):
    event, session, car = track_day
    entry = Entry.objects.create(session=session, car=car, driver=car.owner, status=Entry.Status.CONFIRMED, slot=1)
    base = live_server.url
    page, errors = new_page(browser)
    log_in(page, base, email="organiser@example.org")
    page.goto(f"{base}/events/{event.slug}/check-in/?entry={entry.pk}")
    result = page.get_by_test_id("gate-declaration")
    expect(result.get_by_text("Declaration NOT signed", exact=True)).to_be_visible()
    assert_valid_html({"check-in result": page_html(page)})
    assert (
        result.get_by_text("Declaration NOT signed").evaluate(
            "element => parseFloat(getComputedStyle(element).fontSize)"
        )
        >= LINE_PX
    )

    result.get_by_role("link", name="Sign now on this phone").click()
    expect(page.get_by_text(re.compile("hand this phone to the driver"))).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Full name", exact=True).fill("Dana Driver")
    draw(page)
    page.get_by_role("button", name="Sign the declaration").click()
    expect(page.get_by_test_id("driver-signed")).to_be_visible()
    page.get_by_role("link", name="Check-in").click()
    expect(page.get_by_test_id("gate-declaration").get_by_text("Declaration signed v1", exact=True)).to_be_visible()
    assert DeclarationSignature.objects.get().collected_by.email == "organiser@example.org"
    page.context.close()
    assert errors == []


def test_with_no_signal_the_gate_shows_the_declaration_from_its_list(browser, live_server):
    """The phone decides from the list it downloaded (events.gatelist.declaration_fields): the same lines, as
    large, as the server's result."""
    from events.services import passenger_name
    from tests.e2e.helpers import gate_day
    from tests.e2e.test_gate_offline import no_signal, open_gate, organiser_page
    from tests.events.declaring import sign

    event, session, entries = gate_day(first_register_number=400)
    type(session).objects.filter(pk=session.pk).update(declaration_required=True)
    version = published(event)
    ember, frost = entries[0], entries[1]
    sign(ember, version)
    passenger_name(entry=frost, name="Pia Passenger", by=frost.driver)
    page = organiser_page(browser, live_server, "en")
    errors = watch_errors(page)
    open_gate(page, live_server, event, "en", entries=3)
    no_signal(page)

    for typed, lines in (
        ("#401", ["Declaration signed v1"]),
        ("#402", ["Declaration NOT signed", "Passenger Pia Passenger: declaration NOT signed"]),
    ):
        page.get_by_role("searchbox").fill(typed)
        page.locator("form[role=search] button[type=submit]").click()
        result = page.get_by_test_id("checkin-result")
        expect(result.locator(".checkin-offline-note")).to_be_visible()
        for text in lines:
            line = result.get_by_text(text, exact=True)
            expect(line).to_be_visible()
            assert line.evaluate("element => parseFloat(getComputedStyle(element).fontSize)") >= LINE_PX
    page.context.close()
    assert [e for e in errors if "net::ERR_FAILED" not in e] == []
