"""What the gate knows of an entry besides its ticket, end to end on 375 px phones, in German (the organiser's saved
language; the gate's English is test_gate_offline.py's): a driver signs up giving an emergency contact (a number that
is no phone number first: said next to the field), an organiser flags the entry with a note in the admin, and at the
gate the check-in result shows the note on top in a yellow banner and the emergency contact, both in large type, online
and, with the list on the phone, with no signal; a note changed after the download reaches the phone with "Sync now".
Type sizes are measured in the browser (computed font-size), as tests/e2e/test_gate_type.py does for slot, colour and
number."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from events import services
from events.attention import AttentionNote, EmergencyContact
from events.models import Entry
from register.models import User
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import colour, gate_day, watch_errors
from tests.e2e.test_gate_offline import ACCEPT, check_state, no_signal, open_gate, real_errors, said
from tests.e2e.test_gate_type import CAR_PX, CODE_PX, font_px
from tests.factories import UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CONTACT, PHONE, TEL = "Erika Mustermann", "+49 171 1234567", "tel:+491711234567"
NOTE = "First time on the Nordschleife"
LATER_NOTE = "Passenger under 18: the guardian signs at the gate"
YELLOW = "rgb(255, 212, 0)"


def say(language: str, msgid: str, context: str | None = None) -> str:
    with translation.override(language):
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


def phone_of(browser, live_server, user: User, language: str) -> Page:
    """A 375 px phone of ``user``, logged in, in ``language`` (the account's language wins over the browser's)."""
    user.language = language
    user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=VIEWPORTS["mobile"], locale=ACCEPT[language], service_workers="block")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def assert_gate_notes_in_large_type(result: Locator, language: str, *, note: str) -> None:
    """The note on top of the result in a yellow banner and the emergency contact (a link to call it), both large,
    and neither wider than the phone."""
    banner = result.locator(".checkin-attention")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(say(language, "Attention"))
    note_line = banner.locator(".checkin-attention-note")
    expect(note_line).to_have_text(note)
    assert font_px(note_line) >= CAR_PX, f"the note is {font_px(note_line)} px"
    assert banner.evaluate("element => getComputedStyle(element).backgroundColor") == YELLOW
    assert banner.bounding_box()["y"] < result.locator(".checkin-slot").bounding_box()["y"]
    contact = result.locator(".checkin-emergency")
    expect(contact).to_contain_text(say(language, "Emergency contact"))
    expect(contact.locator(".checkin-emergency-name")).to_have_text(CONTACT)
    number = contact.get_by_role("link", name=PHONE)
    expect(number).to_have_attribute("href", TEL)
    assert font_px(contact) >= CODE_PX, f"the emergency contact is {font_px(contact)} px"
    for box in (banner.bounding_box(), contact.bounding_box(), number.bounding_box()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS["mobile"]["width"]


@pytest.mark.parametrize("language", ["de"])
def test_an_emergency_contact_and_an_attention_note_reach_the_gate_online_and_offline(browser, live_server, language):
    event, session, _entries = gate_day(first_register_number=400)
    driver = UserFactory(email="dora@example.org", display_name="Dora Driver")
    car = VerifiedCarFactory(owner=driver, nickname="Comet", colour=colour("Alpine White"), register_number=410)
    base = live_server.url

    # The driver signs up with an emergency contact; a number that is none is said next to its field.
    phone = phone_of(browser, live_server, driver, language)
    phone_errors = watch_errors(phone)
    phone.goto(f"{base}{event.get_absolute_url()}")
    card = phone.get_by_role("region", name=session.name)
    card.get_by_label(re.compile(rf"^\s*{re.escape(say(language, 'Car'))}")).select_option(index=1)
    card.get_by_label(say(language, "Emergency contact: name")).fill(CONTACT)
    number = card.get_by_label(say(language, "Emergency contact: phone"))
    number.fill("12345")
    card.get_by_role("button", name=say(language, "Sign up", "an event session")).click()
    card = phone.get_by_role("region", name=session.name)
    expect(card).to_contain_text(
        say(language, "This is not a phone number we can call. Write it with its country code, e.g. +49 171 1234567.")
    )
    number = card.get_by_label(say(language, "Emergency contact: phone"))
    expect(number).to_have_class(re.compile(r"\bis-invalid\b"))
    assert not Entry.objects.filter(car=car).exists()
    check_state(phone, f"sign-up, a bad phone number ({language})")
    expect(card.get_by_label(say(language, "Emergency contact: name"))).to_have_value(CONTACT)
    number.fill(PHONE)
    card.get_by_role("button", name=say(language, "Sign up", "an event session")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say(language, "My entries"))
    row = phone.get_by_role("row").filter(has_text=session.name)
    expect(row).to_contain_text(f"{say(language, 'Emergency contact')}: {CONTACT}, {PHONE}")
    check_state(phone, f"my entries with the emergency contact ({language})")
    # Changed (here: given again) on a page of its own, until the session starts.
    row.get_by_role("link", name=re.compile(f"^{re.escape(say(language, 'Change'))}")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say(language, "Emergency contact"))
    expect(phone.get_by_label(say(language, "Emergency contact: name"))).to_have_value(CONTACT)
    check_state(phone, f"the emergency contact's page ({language})")
    phone.get_by_label(say(language, "Emergency contact: phone")).fill(PHONE.replace(" ", ""))
    phone.get_by_role("button", name=say(language, "Save")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(say(language, "My entries"))
    expect(row).to_contain_text(f"{CONTACT}, {PHONE}")
    entry = Entry.objects.get(car=car)
    assert str(EmergencyContact.objects.get(entry=entry).phone) == TEL.removeprefix("tel:")
    phone.context.close()
    assert phone_errors == []

    # The organiser flags the entry in the admin: the action asks for the note.
    organiser = User.objects.get(email="organiser@example.org")
    gate = phone_of(browser, live_server, organiser, language)
    gate_errors = watch_errors(gate)
    gate.goto(f"{base}/admin/events/entry/")
    gate.locator(f'input[name="_selected_action"][value="{entry.pk}"]').check()
    gate.locator("select[name=action]").select_option("flag_attention")
    gate.locator("button[name=index]").click()
    expect(gate.get_by_role("heading", level=1)).to_have_text(say(language, "Flag for attention at the gate"))
    gate.get_by_label(say(language, "Note for the gate")).fill(NOTE)
    gate.locator("input[type=submit].default").click()
    with translation.override(language):
        flagged = translation.ngettext("%(count)d entry flagged.", "%(count)d entries flagged.", 1) % {"count": 1}
    expect(gate.locator("ul.messagelist")).to_contain_text(flagged)
    assert AttentionNote.objects.get(entry=entry).note == NOTE

    # At the gate with signal: the server's result.
    open_gate(gate, live_server, event, language, entries=4)
    gate.get_by_role("searchbox").fill("Comet")
    gate.locator("form[role=search] button[type=submit]").click()
    result = gate.get_by_test_id("checkin-result")
    expect(result).to_contain_text("#410")
    expect(result.locator(".checkin-offline-note")).to_have_count(0)
    assert_gate_notes_in_large_type(result, language, note=NOTE)
    check_state(gate, f"gate online, a flagged entry ({language})")

    # The note changes after the download: "Sync now" brings it; then no signal, and the phone decides.
    services.attention_flag(entry=entry, by=organiser, note=LATER_NOTE)
    gate.locator("#gate-sync").click()
    expect(gate.locator("#gate-status")).to_contain_text(said(language, "last synced %(time)s"))
    no_signal(gate)
    gate.get_by_role("searchbox").fill("comet")
    gate.locator("form[role=search] button[type=submit]").click()
    result = gate.get_by_test_id("checkin-result")
    expect(result.locator(".checkin-offline-note")).to_have_text(
        said(language, "No signal: decided on this phone, with the list downloaded at %(time)s.")
    )
    assert_gate_notes_in_large_type(result, language, note=LATER_NOTE)
    check_state(gate, f"gate offline, a flagged entry ({language})")

    # An entry without either: neither piece, offline too.
    gate.get_by_role("searchbox").fill("#401")
    gate.locator("form[role=search] button[type=submit]").click()
    expect(result).to_contain_text("Ember")
    expect(result.locator(".checkin-attention")).to_have_count(0)
    expect(result.locator(".checkin-emergency")).to_have_count(0)
    gate.context.close()
    assert real_errors(gate_errors) == []
