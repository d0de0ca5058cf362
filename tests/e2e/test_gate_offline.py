"""The gate with no signal, on a 375 px phone: the check-in page downloads the event's list, then every request of the
browser fails (``context.route`` aborts them: the server is unreachable, as in a car park with no signal; Playwright's
``set_offline`` is unreliable with service workers). Scans and searches are decided on the phone in the server's words,
check-ins wait in a queue with the phone's time, and when the server is reachable again the queue is sent and the
database holds them at their scan times.

Each journey runs in one language, English or German, so that both languages go through the phone's offline decisions
and its queue (the gate journeys of test_gate_worker.py and test_gate_attention.py run in German); every text's German
translation is checked against the catalog by tests/test_translations.py.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from events import services
from events.models import Entry
from register.models import User
from tests.e2e.camera import launch_with_camera, ticket_frame, write_y4m_clips
from tests.e2e.checks import assert_accessible, assert_valid_html
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, gate_day_with_waitlist, watch_errors
from tests.e2e.test_gate_type import assert_result_in_large_type

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ACCEPT = {"en": "en-GB", "de": "de-DE"}
CLOCK = r"\d\d:\d\d"


@pytest.fixture
def gate():
    """Three confirmed cars (Ember #301, Frost #302, Shadow #303) and a waitlisted one (Dusk #304)."""
    return gate_day_with_waitlist()


def said(language: str, msgid: str, **values) -> re.Pattern[str]:
    """The sentence as the page says it in ``language``: a value left out (a time) matches any clock time."""
    with translation.override(language):
        text = translation.gettext(msgid)
    parts = re.split(r"(%\(\w+\)s)", text)
    return re.compile(
        "".join(
            re.escape(str(values[p[2:-2]])) if p[2:-2] in values else CLOCK if p.startswith("%(") else re.escape(p)
            for p in parts
            if p
        )
    )


def organiser_page(browser, live_server, language: str) -> Page:
    """A 375 px phone of the organiser, logged in, in ``language``."""
    organiser = User.objects.get(email="organiser@example.org")
    organiser.language = language  # a logged-in person's saved language wins over the browser's
    organiser.save(update_fields=["language"])
    client = Client()
    client.force_login(organiser)
    # No service worker: with one, a request the worker makes may not pass through ``context.route``, and
    # the server would still be reachable. The worker's saved copy is stood in for by
    # test_the_page_reopened_with_no_server_decides_and_queues.
    context = browser.new_context(
        viewport=VIEWPORTS["mobile"], locale=ACCEPT[language], permissions=["camera"], service_workers="block"
    )
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def open_gate(page: Page, live_server, event, language: str, *, entries: int) -> None:
    page.goto(f"{live_server.url}/events/{event.slug}/check-in/")
    expect(page.locator("#gate-status")).to_have_text(
        said(language, "List of %(count)s entries downloaded at %(time)s", count=entries)
    )


def no_signal(page: Page) -> None:
    page.context.route("**/*", lambda route: route.abort())


def signal_again(page: Page) -> None:
    page.context.unroute("**/*")


def real_errors(errors: list[str]) -> list[str]:
    """Console errors other than the browser's own report of each request that found no server."""
    return [e for e in errors if "net::ERR_FAILED" not in e]


def check_state(page: Page, name: str) -> None:
    """axe-core and the Nu checker on the page as the phone shows it now (the DOM its scripts built), once the
    button just tapped has gone back from its hover colours (a transition half-way fails the contrast rule)."""
    page.mouse.move(0, 0)
    page.evaluate("() => Promise.all(document.getAnimations().map((animation) => animation.finished))")
    assert_accessible(page)
    assert_valid_html({name: page.content()})
    assert_no_horizontal_overflow(page)


@pytest.mark.parametrize("language", ["en"])
def test_three_scans_with_no_server_then_the_queue_syncs(browser, live_server, gate, language, tmp_path, request):
    event, session, entries, dusk = gate
    ember = entries[0]
    # Ember's ticket for 8 s, Dusk's (waitlisted) for 4 s, looping: Ember comes round again.
    clips = [(ticket_frame(ember.ticket_token), 40), (ticket_frame(dusk.ticket_token), 20)]
    camera_browser = launch_with_camera(browser, write_y4m_clips(clips, tmp_path / "gate.y4m", fps=5))
    request.addfinalizer(camera_browser.close)
    page = organiser_page(camera_browser, live_server, language)
    errors = watch_errors(page)
    open_gate(page, live_server, event, language, entries=4)
    no_signal(page)
    before_scan = timezone.now()

    page.locator("#scan-start").click()
    result = page.get_by_test_id("checkin-result")
    with translation.override(language):
        slot_text = translation.gettext("Slot %(slot)s") % {"slot": 1}
    expect(result.locator(".checkin-slot")).to_have_text(slot_text)
    expect(result.locator(".checkin-offline-note")).to_have_text(
        said(language, "No signal: decided on this phone, with the list downloaded at %(time)s.")
    )
    assert_result_in_large_type(result, slot=1, colour="Valencia Orange Metallic", register_number=301)
    check_state(page, f"offline verdict ({language})")
    result.locator(".checkin-button").click()
    expect(page.locator(".checkin-queued")).to_contain_text(
        said(language, "Checked in: %(car)s, %(session)s.", car="#301 Ember", session=session.name)
    )
    expect(page.locator("#gate-status")).to_contain_text(said(language, "1 scan waiting"))

    # The waitlisted car: refused in the server's words, nothing queued.
    refusal = "On the waitlist for %(session)s: this car has no place and no valid ticket."
    expect(result.locator(".checkin-refusal")).to_have_text(
        said(language, refusal, session=session.name), timeout=20_000
    )
    expect(result.locator(".checkin-button")).to_have_count(0)

    # Ember again: checked in on this phone already.
    already = result.locator(".checkin-already")
    expect(already).to_have_text(said(language, "Already checked in at %(time)s on this phone."), timeout=20_000)
    page.locator("#scan-start").click()  # the camera off: the panel stays as it is
    already_text = already.inner_text()
    check_state(page, f"offline, a scan waiting ({language})")
    assert Entry.objects.get(pk=ember.pk).checked_in_at is None
    before_sync = timezone.now()

    signal_again(page)
    page.locator("#gate-sync").click()
    status = page.locator("#gate-status")
    expect(status).to_contain_text(said(language, "%(count)s scans waiting", count=0))
    expect(status).to_contain_text(said(language, "last synced %(time)s"))

    checked_in_at = Entry.objects.get(pk=ember.pk).checked_in_at
    assert before_scan <= checked_in_at <= before_sync  # the phone's scan time, not the upload's
    scan = ember.gate_scans.get()
    assert (scan.outcome, scan.scanned_at, scan.by.email) == ("checked_in", checked_in_at, "organiser@example.org")
    assert timezone.localtime(checked_in_at).strftime("%H:%M") in already_text
    assert Entry.objects.get(pk=dusk.pk).checked_in_at is None
    assert not dusk.gate_scans.exists()
    page.context.close()
    assert real_errors(errors) == []


@pytest.mark.parametrize("language", ["de"])
def test_two_phones_check_the_same_car_in_with_no_server(browser, live_server, gate, language):
    event, session, entries, _dusk = gate
    frost = entries[1]
    phones = {}
    for name in ("Gate A", "Gate B"):
        page = organiser_page(browser, live_server, language)
        phones[name] = (page, watch_errors(page))
        open_gate(page, live_server, event, language, entries=4)
        page.locator("#gate-device").fill(name)
        page.locator("#gate-device").dispatch_event("change")
        no_signal(page)

    # Gate A types the short code off the driver's ticket; Gate B searches by nickname.
    for name, typed in (("Gate A", frost.ticket_code_display), ("Gate B", "fros")):
        page = phones[name][0]
        page.get_by_role("searchbox").fill(typed)
        page.locator("form[role=search] button[type=submit]").click()
        result = page.get_by_test_id("checkin-result")
        expect(result).to_contain_text("#302")
        result.locator(".checkin-button").click()
        expect(page.locator("#gate-status")).to_contain_text(said(language, "1 scan waiting"))
    check_state(phones["Gate B"][0], f"offline search, check-in queued ({language})")

    for name in ("Gate A", "Gate B"):
        page = phones[name][0]
        signal_again(page)
        page.locator("#gate-sync").click()
        expect(page.locator("#gate-status")).to_contain_text(said(language, "%(count)s scans waiting", count=0))

    # One check-in (Gate A's, synced first) and one duplicate, shown to Gate B's organiser.
    scans = {s.device: s for s in frost.gate_scans.all()}
    assert {name: s.outcome for name, s in scans.items()} == {"Gate A": "checked_in", "Gate B": "duplicate"}
    assert Entry.objects.get(pk=frost.pk).checked_in_at == scans["Gate A"].scanned_at
    report = phones["Gate B"][0].locator("#gate-sync-report")
    expect(report).to_be_visible()
    expect(report).to_contain_text(said(language, "Sent, but not recorded as a new check-in:"))
    expect(report).to_contain_text("#302 Frost")
    expect(phones["Gate A"][0].locator("#gate-sync-report")).to_be_hidden()
    check_state(phones["Gate B"][0], f"sync report with a duplicate ({language})")
    for page, errors in phones.values():
        page.context.close()
        assert real_errors(errors) == []


@pytest.mark.parametrize("language", ["de"])
def test_the_page_reopened_with_no_server_decides_and_queues(browser, live_server, gate, language):
    """The bare check-in page as the service worker keeps it (its HTML with the CSRF token blanked, its static
    files) reopened with no server at all: the list on the phone decides, the check-in waits, and is sent with
    the token from the cookie when the server is back."""
    event, session, entries, _dusk = gate
    shadow = entries[2]
    page = organiser_page(browser, live_server, language)
    errors = watch_errors(page)
    files = {}
    page.on("response", lambda r: files.setdefault(r.url, r) if "/static/" in r.url else None)
    open_gate(page, live_server, event, language, entries=4)
    url = page.url
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', page.request.get(url).text())
    assert 'value=""' in html
    saved = {u: (r.body(), r.headers["content-type"]) for u, r in files.items()}

    def saved_copy(route):
        if route.request.url == url:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif route.request.url in saved:
            body, content_type = saved[route.request.url]
            route.fulfill(body=body, content_type=content_type)
        else:
            route.abort()

    page.context.route("**/*", saved_copy)
    page.reload()
    expect(page.locator("#gate-status")).to_contain_text(
        said(language, "List of %(count)s entries downloaded at %(time)s", count=4)
    )
    page.get_by_role("searchbox").fill("#303")
    page.locator("form[role=search] button[type=submit]").click()
    result = page.get_by_test_id("checkin-result")
    expect(result).to_contain_text("Shadow")
    result.locator(".checkin-button").click()
    expect(page.locator("#gate-status")).to_contain_text(said(language, "1 scan waiting"))

    page.context.unroute("**/*")
    page.locator("#gate-sync").click()
    expect(page.locator("#gate-status")).to_contain_text(said(language, "%(count)s scans waiting", count=0))
    assert Entry.objects.get(pk=shadow.pk).checked_in_at is not None
    assert shadow.gate_scans.get().outcome == "checked_in"
    page.context.close()
    assert real_errors(errors) == []


@pytest.mark.parametrize("language", ["en"])
def test_the_list_follows_changes_and_an_old_event_is_dropped(browser, live_server, gate, language):
    """ "Sync now" fetches what changed since the phone's cursor (an entry cancelled after the download is
    refused offline); a list a day past its event's end goes, with its waiting scans, when the page opens."""
    event, session, entries, _dusk = gate
    frost = entries[1]
    page = organiser_page(browser, live_server, language)
    errors = watch_errors(page)
    open_gate(page, live_server, event, language, entries=4)
    page.evaluate(
        """async () => {
            await window.GateStore.putList({slug: "last-year", event: {drop_after: "2000-01-02T00:00:00+01:00"},
                                            entries: {}});
            await window.GateStore.enqueue({nonce: "n-1", slug: "last-year", entry: 1, scanned_at: "2000-01-01"});
        }"""
    )

    services.entry_cancel(entry=frost, by=User.objects.get(email="organiser@example.org"))
    page.locator("#gate-sync").click()
    expect(page.locator("#gate-status")).to_contain_text(said(language, "last synced %(time)s"))
    no_signal(page)
    page.get_by_role("searchbox").fill("frost")
    page.locator("form[role=search] button[type=submit]").click()
    refusal = "Cancelled: this entry for %(session)s has no valid ticket."
    expect(page.locator(".checkin-refusal")).to_have_text(said(language, refusal, session=session.name))

    signal_again(page)
    page.reload()
    expect(page.locator("#gate-status")).to_contain_text(said(language, "%(count)s scans waiting", count=0))
    kept = page.evaluate(
        """async () => [await window.GateStore.getList("last-year"), await window.GateStore.queued("last-year")]"""
    )
    assert kept == [None, []]
    page.context.close()
    assert real_errors(errors) == []
