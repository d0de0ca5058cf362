"""Offline at the track: pages read once with signal open again with the server truly unreachable.

The browser reaches the live server through a relay (tests/e2e/outage.py) that the journey cuts: every
connection refused, the open ones dropped, as in a car park without signal. What the phone keeps is read
from the page itself (Cache Storage), as anyone holding the phone could.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from events.models import Entry
from events.roster import ROSTER_PAGE_SIZE
from events.services import entry_cancel
from register.photos import photo_add
from tests.e2e.checks import assert_accessible, assert_valid_html, page_html
from tests.e2e.conftest import EACH_LANGUAGE_AND_WIDTH, VIEWPORTS
from tests.e2e.helpers import (
    PASSWORD,
    assert_no_horizontal_overflow,
    ensure_reference_data,
    jpeg_bytes,
    menu_open,
    watch_errors,
)
from tests.e2e.outage import Relay
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SAYS = {
    "en": {
        "accept": "en-GB",
        "email": "Email",
        "password": "Password",
        "log_in": "Log in",
        "saved": re.compile(r"^Saved \w{3} \d\d:\d\d — may be out of date$"),
        "kept": "Saved 4 pages for offline.",
        "keep": "Keep for offline",
        "code": "Code to read out at the gate",
        "cancelled": "This entry is cancelled: it has no valid ticket.",
        "log_out": "Log out",
        "toggle": "Toggle navigation",
    },
    "de": {
        "accept": "de-DE",
        "email": "E-Mail-Adresse",
        "password": "Passwort",
        "log_in": "Einloggen",
        "saved": re.compile(r"^Gespeichert \w{2}\.?,? \d\d:\d\d — vielleicht nicht mehr aktuell$"),
        "kept": "4 Seiten für offline gespeichert.",
        "keep": "Für offline speichern",
        "code": "Code zum Nennen an der Einfahrt",
        "cancelled": "Diese Anmeldung ist storniert und hat kein gültiges Ticket.",
        "log_out": "Ausloggen",
        "toggle": "Navigation ein-/ausblenden",
    },
}

# Everything the phone keeps in its page caches: {cache: {url: text}} (not the static files, not the photos).
READ_SAVED = """async () => {
    const saved = {};
    for (const name of await caches.keys()) {
        if (name.startsWith("static-") || name === "media") continue;
        const cache = await caches.open(name);
        saved[name] = {};
        for (const request of await cache.keys()) {
            saved[name][request.url] = await (await cache.match(request)).text();
        }
    }
    return saved;
}"""


# What the gate's page does (static/js of the check-in page): a database named "gate".
OPEN_GATE_DATABASE = """() => new Promise((resolve) => {
    indexedDB.open("gate").onsuccess = (event) => { event.target.result.close(); resolve(); };
})"""


@pytest.fixture
def relay(live_server):
    relay = Relay(live_server.thread.port)
    yield relay
    relay.cut()


@pytest.fixture
def phone(browser, viewport, language):
    """A fresh browser context in the journey's language; fails on console errors other than the failed
    connections of the outage itself and the 404 of another person's ticket, which the journey asks for."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale=SAYS[language]["accept"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = watch_errors(page)
    yield page
    context.close()
    # The outage: a new connection refused, an open one dropped or reset (the admin's /favicon.ico, asked for
    # after its page, may meet the cut), a fetch that found no server.
    outage = ("ERR_CONNECTION_REFUSED", "ERR_SOCKET_NOT_CONNECTED", "ERR_CONNECTION_RESET", "Failed to fetch")
    expected = (*outage, "status of 404 (Not Found)")
    assert [e for e in errors if not any(text in e for text in expected)] == []


def _convoy(*, cars: int, language: str):
    """A published roster of ``cars`` cars, the last one the driver's (whose pages are in ``language``)."""
    ensure_reference_data()
    event = EventFactory(name="Nürburgring gathering 2031", slug="nurburgring-2031", roster_published=True)
    session = SessionFactory(event=event, name="Nordschleife convoy", slug="nordschleife", capacity=cars + 10)
    for slot in range(1, cars):
        EntryFactory(session=session, slot=slot)
    driver = UserFactory(email="driver@example.org", display_name="Dana Driver", language=language)
    car = VerifiedCarFactory(owner=driver, nickname="Frost", register_number=4242)
    ticket = EntryFactory(session=session, car=car, driver=driver, slot=cars)
    return event, session, driver, ticket


def _log_in(page: Page, base: str, *, email: str, says: dict) -> None:
    """Log in in the journey's language, to "My entries" (where the worker starts and saves the tickets)."""
    page.goto(f"{base}/accounts/login/?next=/events/my-entries/")
    page.get_by_label(re.compile(rf"^\s*{says['email']}\s*\*?\s*$")).fill(email)
    page.get_by_label(re.compile(rf"^\s*{says['password']}\s*\*?\s*$")).fill(PASSWORD)
    page.get_by_role("button", name=says["log_in"]).click()
    expect(page).to_have_url(f"{base}/events/my-entries/")


def _worker_in_control(page: Page) -> None:
    """The worker has installed (precached the static files) and now handles this page's requests. A page
    whose loading began before the worker was active is not claimed by it (clients.claim() takes the pages
    that exist at that moment): its next load is, as a person's next page."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if page.evaluate("() => navigator.serviceWorker.controller === null"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def _log_out(page: Page, says: dict) -> None:
    toggler = page.get_by_role("button", name=says["toggle"])
    if toggler.is_visible():
        toggler.click()
        menu_open(page)
    page.get_by_role("button", name=says["log_out"]).click()


@EACH_LANGUAGE_AND_WIDTH
def test_a_driver_reads_the_roster_and_their_ticket_without_signal(
    phone, relay, language, viewport, settings, tmp_path
):
    says, page, base = SAYS[language], phone, relay.url
    event, session, driver, ticket = _convoy(cars=ROSTER_PAGE_SIZE + 1, language=language)
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = photo_add(car=ticket.car, upload=SimpleUploadedFile("frost.jpg", jpeg_bytes()))
    someone_else = Entry.objects.exclude(pk=ticket.pk).first()
    roster = f"{base}/events/{event.slug}/roster/"
    second_page = f"{roster}?session={session.slug}&page=2"

    # With signal: log in, open "My entries" (which saves the ticket too) and keep the event for offline.
    _log_in(page, base, email=driver.email, says=says)
    _worker_in_control(page)
    expect(page.locator("[data-offline-prefetch]")).to_have_attribute("data-saved", "1")
    documents = {page.url: page_html(page)}
    page.goto(f"{base}{event.get_absolute_url()}")
    page.get_by_role("button", name=says["keep"]).click()
    expect(page.get_by_role("status").filter(has_text=says["kept"])).to_be_visible()
    assert_accessible(page)
    documents[page.url] = page_html(page)
    assert_valid_html(documents)
    # Pages the phone must not keep: another person's ticket (not theirs: 404) and the admin.
    page.goto(f"{base}{someone_else.get_ticket_url()}")
    page.goto(f"{base}/admin/")

    saved = page.evaluate(READ_SAVED)
    assert set(saved) == {"pages", "personal"}
    urls = {url.removeprefix(base) for cache in saved.values() for url in cache}
    assert {"/", f"/events/{event.slug}/", f"/events/{event.slug}/roster/"} <= urls | {"/"}
    assert f"/events/{event.slug}/roster/?session={session.slug}&page=2" in urls
    assert set(saved["personal"]) == {f"{base}/events/my-entries/", f"{base}{ticket.get_ticket_url()}"}
    assert not [url for url in urls if url.startswith("/admin/") or url.startswith("/accounts/")]
    assert someone_else.get_ticket_url() not in urls
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for text in (text for cache in saved.values() for text in cache.values()):
        assert token not in text
        assert not re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', text)

    # No signal: the second page of the convoy, the first with the picture, the ticket.
    relay.cut()
    page.goto(second_page)
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_have_text(says["saved"])
    expect(page.locator(".roster-table td.nick", has_text="Frost")).to_be_visible()
    # Frost's photo, saved with the page that shows it: the worker has it, and where the roster shows
    # photos (not on a phone's narrow screen) it is shown, not a broken image.
    thumb = page.locator(f"#entry-{ticket.pk} img.thumb")
    assert thumb.get_attribute("src") == photo.thumbnail.url
    kept = "async (url) => { const r = await fetch(url); return [r.status, r.headers.get('Content-Type')]; }"
    assert page.evaluate(kept, photo.thumbnail.url) == [200, "image/jpeg"]
    if viewport == "desktop":
        thumb.scroll_into_view_if_needed()
        thumb.evaluate("(img) => img.decode()")
        assert thumb.evaluate("(img) => img.naturalWidth") > 0
    page.goto(f"{roster}?session={session.slug}&page=1")
    expect(page.locator(".convoy-cars a")).to_have_count(ROSTER_PAGE_SIZE + 1)
    expect(banner).to_have_text(says["saved"])
    assert_no_horizontal_overflow(page)
    assert_accessible(page)
    assert_valid_html({f"{page.url} (shown offline)": page.content()})
    # "Find my car" with no server: the picture names every car and links to the saved page that lists it.
    find = page.locator("[data-find-car]")
    find.locator("input[name=find]").fill("4242")
    find.locator("button[type=submit]").click()
    info = page.locator("[data-convoy-info]")
    expect(info).to_contain_text("Frost")
    info.locator("[data-convoy-info-row]").click()
    expect(page).to_have_url(re.compile(rf"page=2#entry-{ticket.pk}$"))
    expect(page.locator(f"#entry-{ticket.pk}")).to_have_class(re.compile("is-selected"))
    expect(banner).to_have_text(says["saved"])
    page.goto(f"{base}{ticket.get_ticket_url()}")
    expect(page.locator(".ticket-code")).to_have_text(ticket.ticket_code_display)
    expect(page.locator(".ticket-qr svg")).to_be_visible()
    expect(page.get_by_text(says["code"])).to_be_visible()
    expect(banner).to_have_text(says["saved"])
    assert_accessible(page)

    # The signal returns: the page reloads itself, fresh from the server.
    relay.restore()
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(banner).to_have_count(0)
    expect(page.locator(".ticket-code")).to_have_text(ticket.ticket_code_display)


@EACH_LANGUAGE_AND_WIDTH
def test_a_cancelled_entry_is_saved_as_cancelled_and_logging_out_forgets_it(phone, relay, language, viewport):
    says, page, base = SAYS[language], phone, relay.url
    event, session, driver, ticket = _convoy(cars=2, language=language)
    _log_in(page, base, email=driver.email, says=says)
    _worker_in_control(page)
    expect(page.locator("[data-offline-prefetch]")).to_have_attribute("data-saved", "1")

    # Cancelled from another device; the next visit to "My entries" with signal refreshes the saved ticket.
    entry_cancel(entry=Entry.objects.get(pk=ticket.pk), by=driver)
    page.reload()
    expect(page.locator("[data-offline-prefetch]")).to_have_attribute("data-saved", "1")
    relay.cut()
    page.goto(f"{base}{ticket.get_ticket_url()}")
    expect(page.locator("[data-offline-banner]")).to_have_text(says["saved"])
    expect(page.get_by_text(says["cancelled"])).to_be_visible()
    expect(page.locator(".ticket-qr")).to_have_count(0)
    expect(page.locator(".ticket-code")).to_have_count(0)

    # Logging out (with signal) forgets the saved pages and the gate's downloaded list.
    relay.restore()
    page.goto(f"{base}/events/my-entries/")
    page.evaluate(OPEN_GATE_DATABASE)
    _log_out(page, says)
    expect(page.locator("form[data-logout]")).to_have_count(0)
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")  # registered again, for the next visitor
    saved = page.evaluate(READ_SAVED)
    assert not [url for cache in saved.values() for url in cache if "/my-entries/" in url]
    assert page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)") == []
    relay.cut()
    with pytest.raises(Exception, match="ERR_"):
        page.goto(f"{base}{ticket.get_ticket_url()}")


# The time the worker saved ``url`` (its X-Offline-Saved header), once it has saved it after ``after``.
SAVED_AFTER = """async ([url, after]) => {
    for (let tries = 0; tries < 150; tries += 1) {
        const hit = await (await caches.open("pages")).match(url);
        const saved = hit && hit.headers.get("X-Offline-Saved");
        if (saved && saved !== after) return saved;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
}"""


@pytest.mark.parametrize(("language", "viewport"), [("en", "mobile")])
def test_a_signal_too_slow_shows_the_saved_copy_until_the_server_answers_in_time(phone, relay, language, viewport):
    """A signal that connects but answers late (every request held 6 s in the relay): the saved copy is shown
    once the worker's wait (3 s) is over, the network's late answer becomes the saved copy for next time, and
    the page reloads itself only once the server answers in time again."""
    says, page, base = SAYS[language], phone, relay.url
    event, _session, _driver, _ticket = _convoy(cars=2, language=language)
    url = f"{base}{event.get_absolute_url()}"
    page.goto(url)
    _worker_in_control(page)
    first = page.evaluate(SAVED_AFTER, [url, ""])
    assert first

    page.clock.install()  # the page's timers, to bring its next probe of the server forward
    relay.slow(6)
    page.reload()
    banner = page.locator("[data-offline-banner]")
    expect(banner).to_have_text(says["saved"])
    expect(page.get_by_role("heading", level=1)).to_have_text(event.name)
    assert page.locator("html").get_attribute("data-offline-saved") == first
    later = page.evaluate(SAVED_AFTER, [url, first])  # the late answer, saved in the background
    assert later and later > first

    # The page's probe of the server is answered, but too late to count: the page stays as it is (a reload
    # would only show the saved copy again, every 20 s, under the reader's eyes).
    page.evaluate("() => { window.stayed = true; }")
    page.clock.fast_forward(20_000)
    page.wait_for_timeout(7_000)  # past the probe's late answer (6 s)
    assert page.evaluate("() => window.stayed") is True
    expect(banner).to_have_text(says["saved"])

    # A signal fast again: the next probe is answered in time and the page reloads itself, fresh.
    relay.slow(0)
    page.clock.fast_forward(20_000)
    expect(banner).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(event.name)
