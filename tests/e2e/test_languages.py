"""The journeys in each language (English at desktop width, German at 375 px: tests/e2e/conftest.py,
``EACH_LANGUAGE_AND_WIDTH``): a browser that asks for German gets German from
the first page on, and never one of the project's English phrases; one that asks for English gets English
and none of the German ones. The phrases checked are every string of the project's catalogue whose
translation differs (locale/de/LC_MESSAGES/*.po), so a page that forgets to translate one fails here.

The owner signs up, adds a car (a VIN error first), uploads a photo, signs the car up for the convoy and
cancels; an attendee reads the published roster; an organiser moves a car in the admin's convoy order
(a JavaScript string from Django's JavaScriptCatalog).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import translation
from playwright.sync_api import Page, expect

from events.models import Entry
from register.models import Car, Colour, User
from register.vin import check_digit
from tests.e2e.conftest import EACH_LANGUAGE_AND_WIDTH, VIEWPORTS
from tests.e2e.helpers import (
    PASSWORD,
    assert_no_horizontal_overflow,
    colour,
    confirm_address,
    ensure_reference_data,
    jpeg_bytes,
    watch_errors,
)
from tests.factories import (
    CarFactory,
    EntryFactory,
    EventFactory,
    SessionFactory,
    UserFactory,
    VerifiedCarFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    EACH_LANGUAGE_AND_WIDTH,
]

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
US_BODY = "WBSUR9CC0BV271828"
US_VIN = US_BODY[:8] + check_digit(US_BODY) + US_BODY[9:]
WRONG_DIGIT = "1" if US_VIN[8] != "1" else "2"
US_VIN_BAD = US_VIN[:8] + WRONG_DIGIT + US_VIN[9:]
EVENT = "Nürburgring gathering 2031"
CONVOY = "Nordschleife convoy"

# What each language's pages say at each step (the same journey, the same assertions).
SAYS = {
    "de": {
        "accept": "de-DE",
        "signup_heading": "Konto erstellen",
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "password_again": "Passwort (Wiederholung)",
        "display_name": "Anzeigename",
        "country": "Land",
        "germany": "Deutschland",
        "signup_button": "Konto erstellen",
        "log_in_button": "Einloggen",
        "car_heading": "Füge dein Fahrzeug dem Register hinzu",
        "vin": "FIN",
        "colour": "Farbe",
        "market": "Markt",
        "usa": "Vereinigte Staaten von Amerika",
        "add_car": "Mein Fahrzeug hinzufügen",
        "vin_error": f"Stelle 9: Die Prüfziffer sollte {US_VIN[8]} sein, gefunden {WRONG_DIGIT}.",
        "garage": "Meine Garage",
        "registered": "Dein Fahrzeug ist registriert.",
        "photo": "Foto",
        "caption": "Bildunterschrift",
        "upload": "Hochladen",
        "photo_added": "Foto hinzugefügt.",
        "hundred_percent": "100 %",
        "session_time": "Samstag, 20. September 2031, 09:00",
        "car": "Fahrzeug",
        "sign_up": "Anmelden",
        "my_entries": "Meine Anmeldungen",
        "confirmed": f"{CONVOY} bei {EVENT}: bestätigt, Startplatz 3.",
        "cancel": "Stornieren",
        "cancel_heading": "Anmeldung stornieren",
        "cancel_yes": "Ja, Anmeldung stornieren",
        "cancelled": f"Deine Anmeldung für {CONVOY} bei {EVENT} ist storniert.",
        "roster_heading": f"Starterliste: {EVENT}",
        "cars_present": "4 Fahrzeuge dabei.",
        "admin_email": "E-Mail-Adresse",
        "admin_password": "Passwort",
        "admin_log_in": "Einloggen",
        "convoy_heading": "Konvoi-Reihenfolge",
        "move_up": "{car} nach oben",
        "moved": "{car} auf Platz {place} verschoben",
        "save_order": "Reihenfolge speichern",
        "order_saved": "Konvoi-Reihenfolge gespeichert.",
    },
    "en": {
        "accept": "en-GB",
        "signup_heading": "Create an account",
        "email": "Email",
        "password": "Password",
        "password_again": "Password (again)",
        "display_name": "Display name",
        "country": "Country",
        "germany": "Germany",
        "signup_button": "Create an account",
        "log_in_button": "Log in",
        "car_heading": "Add your car to the register",
        "vin": "VIN",
        "colour": "Colour",
        "market": "Market",
        "usa": "United States of America",
        "add_car": "Add my car",
        "vin_error": f"Position 9: the check digit should be {US_VIN[8]}, found {WRONG_DIGIT}.",
        "garage": "My garage",
        "registered": "Your car is registered.",
        "photo": "Photo",
        "caption": "Caption",
        "upload": "Upload",
        "photo_added": "Photo added.",
        "hundred_percent": "100%",
        "session_time": "Saturday 20 September 2031, 09:00",
        "car": "Car",
        "sign_up": "Sign up",
        "my_entries": "My entries",
        "confirmed": f"{CONVOY} at {EVENT}: confirmed, slot 3.",
        "cancel": "Cancel",
        "cancel_heading": "Cancel entry",
        "cancel_yes": "Yes, cancel my entry",
        "cancelled": f"Your entry for {CONVOY} at {EVENT} is cancelled.",
        "roster_heading": f"Roster: {EVENT}",
        "cars_present": "4 cars present.",
        "admin_email": "Email address",
        "admin_password": "Password",
        "admin_log_in": "Log in",
        "convoy_heading": "Convoy order",
        "move_up": "Move {car} up",
        "moved": "{car} moved to place {place}",
        "save_order": "Save order",
        "order_saved": "Convoy order saved.",
    },
}


def _phrases() -> dict[str, tuple[set[str], list[str]]]:
    """For each language, the other language's phrases that must never appear on its pages: short ones
    as a whole line of text, sentences (20 characters or more) anywhere. Only strings without
    placeholders (names, numbers and dates are filled in) that the two languages do not share."""
    english, german = set(), set()
    for domain in ("django", "djangojs"):
        for entry in polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po")):
            if not entry.msgid_plural and "%" not in entry.msgid:
                english.add(entry.msgid)
                german.add(entry.msgstr)
    found = {}
    # The language page names each language in itself ("Deutsch", "English"), whatever the page's language.
    names = {translation.get_language_info(code)["name_local"] for code, _name in settings.LANGUAGES}
    english, german = english - names, german - names
    for language, foreign in (("de", english - german), ("en", german - english)):
        foreign = {phrase for phrase in foreign if len(phrase) >= 4}
        found[language] = ({p for p in foreign if len(p) < 20}, [p for p in foreign if len(p) >= 20])
    return found


PHRASES = _phrases()


def assert_only(page: Page, language: str) -> None:
    """The page is in ``language``: its <html lang>, none of the other language's phrases, and its
    (often longer) words still fit the viewport."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_no_horizontal_overflow(page)
    text = page.locator("body").inner_text().replace("\u00a0", " ")
    lines = {line.strip() for line in text.splitlines()}
    short, sentences = PHRASES[language]
    # Colour names are data, like BMW's paint names: the catch-all "Other" included (README, Languages).
    short = short - set(Colour.objects.values_list("name", flat=True))
    foreign = sorted(lines & short) + [p for p in sentences if p in text]
    assert foreign == [], f"{page.url} ({language}) shows {foreign}"


@pytest.fixture
def page_in(browser, viewport, language):
    """A fresh browser context whose Accept-Language is the journey's language; fails on console errors."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=SAYS[language]["accept"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _field(text: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def _event_with_convoy(**event_fields):
    ensure_reference_data()
    starts = datetime.datetime(2031, 9, 20, 9, 0, tzinfo=BERLIN)
    event = EventFactory(
        name=EVENT, slug="nurburgring-2031", starts_on=starts.date(), ends_on=starts.date(), **event_fields
    )
    session = SessionFactory(
        event=event, name=CONVOY, slug="nordschleife", capacity=6, starts_at=starts, ends_at=starts.replace(hour=10)
    )
    return event, session


def test_owner_journey_in_the_browsers_language(page_in, live_server, media_root, language):
    says, page, base = SAYS[language], page_in, live_server.url
    event, session = _event_with_convoy()
    for slot, name in enumerate(["Valencia Orange Metallic", "Alpine White"], start=1):
        EntryFactory(session=session, car=VerifiedCarFactory(colour=colour(name)), slot=slot)

    # Sign up: allauth's form and ours, in the browser's language; the account keeps that language.
    page.goto(f"{base}/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text(says["signup_heading"])
    assert_only(page, language)
    page.get_by_label(_field(says["email"])).fill("nora@example.org")
    page.get_by_label(_field(says["password"])).fill("a-long-unusual-passphrase-31")
    page.get_by_label(_field(says["password_again"])).fill("a-long-unusual-passphrase-31")
    page.get_by_label(_field(says["display_name"])).fill("Nora Newowner")
    page.get_by_label(_field(says["country"])).select_option(label=says["germany"])
    page.get_by_role("button", name=says["signup_button"]).click()
    confirm_address(page, base, "nora@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text(says["garage"])
    assert_only(page, language)
    page.goto(f"{base}/garage/cars/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text(says["car_heading"])
    assert_only(page, language)
    user = User.objects.get(email="nora@example.org")
    assert (user.language, user.country.code) == (language, "DE")

    # A VIN error, in the language, next to the field.
    page.get_by_label(_field(says["vin"])).fill(US_VIN_BAD)
    page.get_by_label(_field(says["colour"])).select_option(label="Valencia Orange Metallic")
    page.get_by_label(_field(says["market"])).select_option(label=says["usa"])
    page.get_by_role("button", name=says["add_car"]).click()
    expect(page.locator("#error_1_id_vin")).to_have_text(says["vin_error"])
    assert_only(page, language)
    page.get_by_label(_field(says["vin"])).fill(US_VIN)
    page.get_by_role("button", name=says["add_car"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(says["garage"])
    expect(page.get_by_role("alert").filter(has_text=says["registered"])).to_be_visible()
    assert_only(page, language)
    car = Car.objects.get(vin=US_VIN)

    # A photo: the progress bar counts in the language's way ("100 %" in German), the message follows.
    page.goto(f"{base}/garage/cars/{car.pk}/photos/")
    assert_only(page, language)
    page.evaluate(
        """() => {
        window.progressTexts = [];
        const inner = document.querySelector('[data-upload-progress] .progress-bar');
        new MutationObserver(() => window.progressTexts.push(inner.textContent))
            .observe(inner, {childList: true, characterData: true, subtree: true});
    }"""
    )
    page.get_by_label(_field(says["photo"])).set_input_files(
        {"name": "my-1m.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    page.get_by_label(_field(says["caption"])).fill("Eifel")
    page.get_by_role("button", name=says["upload"]).click()
    expect(page.get_by_role("alert").filter(has_text=says["photo_added"])).to_be_visible()
    assert page.evaluate("() => window.progressTexts")[-1].replace("\u00a0", " ") == says["hundred_percent"]
    assert_only(page, language)

    # The event: the session's time in the language's format, sign up, then cancel.
    page.goto(f"{base}/events/{event.slug}/")
    expect(page.get_by_text(says["session_time"])).to_be_visible()
    assert_only(page, language)
    card = page.get_by_role("region", name=CONVOY)
    card.get_by_label(_field(says["car"])).select_option(index=1)
    card.get_by_role("button", name=says["sign_up"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(says["my_entries"])
    expect(page.get_by_role("alert").filter(has_text=says["confirmed"])).to_be_visible()
    assert_only(page, language)
    page.get_by_role("row").filter(has_text=CONVOY).get_by_role("link", name=re.compile(f"^{says['cancel']}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(says["cancel_heading"])
    assert_only(page, language)
    page.get_by_role("button", name=says["cancel_yes"]).click()
    expect(page.get_by_role("alert").filter(has_text=says["cancelled"])).to_be_visible()
    assert_only(page, language)
    assert_no_horizontal_overflow(page)
    assert Entry.objects.get(car=car).status == Entry.Status.CANCELLED


def test_attendee_reads_the_roster_in_the_browsers_language(page_in, live_server, language):
    says, page = SAYS[language], page_in
    event, session = _event_with_convoy(roster_published=True)
    for slot, name in enumerate(
        ["Valencia Orange Metallic", "Alpine White", "Alpine White", "Black Sapphire Metallic"]
    ):
        EntryFactory(session=session, car=VerifiedCarFactory(colour=colour(name)), slot=slot + 1)

    page.goto(f"{live_server.url}/events/{event.slug}/roster/")

    expect(page.get_by_role("heading", level=1)).to_have_text(says["roster_heading"])
    expect(page.get_by_text(says["cars_present"])).to_be_visible()
    expect(page.get_by_text(says["session_time"])).to_be_visible()
    assert_only(page, language)
    assert_no_horizontal_overflow(page)


def test_organiser_orders_the_convoy_in_their_language(page_in, live_server, language):
    says, page, base = SAYS[language], page_in, live_server.url
    _event, session = _event_with_convoy()
    cars = [VerifiedCarFactory(nickname=name, colour=colour("Alpine White")) for name in ("Ember", "Frost", "Shadow")]
    for slot, car in enumerate(cars, start=1):
        EntryFactory(session=session, car=car, slot=slot)
    organiser = UserFactory(email="orla@example.org", is_staff=True, language=language)
    organiser.groups.add(Group.objects.get(name="Organisers"))

    page.goto(f"{base}/admin/login/?next=/admin/events/session/{session.pk}/convoy/")
    page.get_by_label(says["admin_email"]).fill("orla@example.org")
    page.get_by_label(says["admin_password"]).fill(PASSWORD)
    page.get_by_role("button", name=says["admin_log_in"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(says["convoy_heading"])
    assert_only(page, language)
    page.get_by_role("button", name=says["move_up"].format(car=cars[2])).click()
    page.get_by_role("button", name=says["move_up"].format(car=cars[2])).click()
    expect(page.get_by_role("status")).to_have_text(says["moved"].format(car=cars[2], place=1))
    page.get_by_role("button", name=says["save_order"]).click()
    expect(page.locator("ul.messagelist")).to_have_text(says["order_saved"])
    assert_only(page, language)
    assert [e.car.nickname for e in Entry.objects.confirmed().filter(session=session).in_slot_order()] == [
        "Shadow",
        "Ember",
        "Frost",
    ]


def test_every_owner_page_is_in_the_browsers_language(page_in, live_server, language):
    """A tour of the pages an owner and the public read, in the browser's language, at both widths."""
    page, base = page_in, live_server.url
    event, session = _event_with_convoy(roster_published=True)
    owner = UserFactory(email="olga@example.org", language=language)
    car = VerifiedCarFactory(owner=owner, colour=colour("Alpine White"), nickname="Frost")
    entry = EntryFactory(session=session, car=car, driver=owner, slot=1)
    CarFactory(owner=owner, colour=colour("Valencia Orange Metallic"))  # a pending car too
    log_in_as(page, base, email="olga@example.org", says=SAYS[language])

    for path in [
        "/",
        "/register/",
        "/register/stats/",
        car.get_absolute_url(),
        "/events/",
        event.get_absolute_url(),
        f"/events/{event.slug}/roster/",
        "/garage/",
        f"/garage/cars/{car.pk}/edit/",
        "/garage/claim/",
        "/garage/profile/",
        "/events/my-entries/",
        entry.get_ticket_url(),
        "/language/?next=/",
    ]:
        page.goto(base + path)
        assert_only(page, language)


def log_in_as(page: Page, base: str, *, email: str, says: dict) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label(_field(says["email"])).fill(email)
    page.get_by_label(_field(says["password"])).fill(PASSWORD)
    page.get_by_role("button", name=says["log_in_button"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(says["garage"])
