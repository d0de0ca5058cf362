"""Shared steps of the browser journeys: reference data, logging in, a test image, layout checks."""

from __future__ import annotations

import importlib
import io
import re

from django.contrib.auth.models import Group
from PIL import Image
from playwright.sync_api import Page, expect

from portal.roles import roles_apply
from register.models import Colour

PASSWORD = "correct-horse-battery"

# Migration modules start with a digit, so they are imported by name.
_model_facts = importlib.import_module("register.migrations.0002_model_facts")


def ensure_reference_data() -> None:
    """Colours, model facts and the staff groups, as migrate creates them.

    ``live_server`` tests are transactional: each ends with a flush. Serialized rollback (tests/conftest.py)
    normally puts the migrations' rows back; this makes each journey independent of that. Both steps are
    idempotent and run with the real app registry.
    """
    from django.apps import apps

    _model_facts.seed(apps, None)
    roles_apply()


def watch_errors(page: Page) -> list[str]:
    """The list that collects the page's console errors and uncaught exceptions; a test asserts it stays empty."""
    errors: list[str] = []

    def on_console(msg) -> None:
        if msg.type != "error":
            return
        url = msg.location.get("url", "")
        errors.append(f"{msg.text} ({url})" if url else msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def colour(name: str) -> Colour:
    return Colour.objects.get(name=name)


def jpeg_bytes(width: int = 640, height: int = 400, rgb: tuple[int, int, int] = (226, 97, 27)) -> bytes:
    """A real JPEG made with Pillow (an orange rectangle with a white stripe)."""
    image = Image.new("RGB", (width, height), rgb)
    for x in range(width):
        for y in range(height // 2 - 10, height // 2 + 10):
            image.putpixel((x, y), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def open_nav_if_collapsed(page: Page) -> None:
    """At 375 px the main navigation is behind the toggler."""
    toggler = page.get_by_role("button", name="Toggle navigation")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        menu_open(page)


def menu_open(page: Page) -> None:
    """The menu has finished sliding open (Bootstrap's collapse: 0.35 s, longer on a busy machine). A tap on one
    of its items while it still slides can land on the page beneath, as a person's would: tap once it is open."""
    expect(page.locator("#nav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def log_in(page: Page, base_url: str, *, email: str, password: str = PASSWORD, next_url: str = "") -> None:
    """Log in through allauth's form, the way a person does."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def confirm_address(page: Page, base_url: str, email: str) -> None:
    """Follow the confirmation link of the last email queued to ``email`` and confirm, as its owner does
    (sign-up signs nobody in before that: mandatory verification)."""
    from outbox.models import Message

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    text = Message.objects.filter(to__contains=[email]).latest("pk").text
    page.goto(base_url + re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", text).group(1))
    page.get_by_role("main").locator("form button[type=submit]").click()


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing sticks out sideways: the document is no wider than the viewport."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1] + 1, f"{page.url}: page is {widths[0]} px wide in a {widths[1]} px viewport"


def path_of(page: Page, base_url: str) -> str:
    return page.url.removeprefix(base_url)


def label(text: str) -> re.Pattern[str]:
    """A field's label exactly, allowing crispy's required-field asterisk: ``Password`` matches "Password*"."""
    return re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$")


def gate_day(*, first_register_number: int):
    """An organiser and a convoy of three confirmed cars (slots 1-3, register numbers from
    ``first_register_number + 1``): the gate of the check-in journeys."""
    from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

    ensure_reference_data()
    organiser = UserFactory(email="organiser@example.org", display_name="Orla Organiser", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031")
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=10)
    cars = [("Ember", "Valencia Orange Metallic"), ("Frost", "Alpine White"), ("Shadow", "Black Sapphire Metallic")]
    entries = [
        EntryFactory(
            session=session,
            slot=slot,
            car=VerifiedCarFactory(
                nickname=nickname, colour=colour(name), register_number=first_register_number + slot
            ),
        )
        for slot, (nickname, name) in enumerate(cars, start=1)
    ]
    return event, session, entries


def gate_day_with_waitlist():
    """``gate_day`` with Ember #301, Frost #302, Shadow #303 confirmed, and Dusk #304 on the waitlist: the gate
    of the offline journeys."""
    from events.models import Entry
    from tests.factories import EntryFactory, VerifiedCarFactory

    event, session, entries = gate_day(first_register_number=300)
    car = VerifiedCarFactory(nickname="Dusk", colour=colour("Alpine White"), register_number=304)
    waitlisted = EntryFactory(session=session, slot=None, status=Entry.Status.WAITLISTED, car=car)
    return event, session, entries, waitlisted
