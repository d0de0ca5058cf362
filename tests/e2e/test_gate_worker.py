"""The gate with the real service worker, on a 375 px phone, in German (the phone's saved copy in the
organiser's own language; English is the language of test_gate_offline.py's main journey): the organiser opens
the bare check-in page with signal (the worker keeps it: the view answers ``X-Offline: keep``), the server
becomes unreachable (the relay of tests/e2e/outage.py is cut: no ``context.route``, so the worker's own
requests find no server either), the page is reloaded and opens from the phone's saved copy, three tickets
are scanned with the fake camera and decided on the phone, and when the server is back the queue is sent and
the database holds the check-in at its scan time.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from events.models import Entry
from register.models import User
from tests.e2e.camera import launch_with_camera, ticket_frame, write_y4m_clips
from tests.e2e.checks import assert_accessible, assert_valid_html
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import assert_no_horizontal_overflow, gate_day_with_waitlist, watch_errors
from tests.e2e.outage import Relay
from tests.e2e.test_gate_offline import ACCEPT, said
from tests.e2e.test_offline import SAYS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# The browser's own reports of requests that found no server (the outage itself).
OUTAGE = ("ERR_CONNECTION_REFUSED", "ERR_FAILED", "Failed to fetch")


@pytest.fixture
def gate():
    """Three confirmed cars (Ember #301, Frost #302, Shadow #303) and a waitlisted one (Dusk #304)."""
    return gate_day_with_waitlist()


@pytest.fixture
def relay(live_server):
    relay = Relay(live_server.thread.port)
    yield relay
    relay.cut()


def organiser_phone(browser, base: str, language: str) -> Page:
    """The organiser's 375 px phone, logged in, in ``language``, with service workers allowed."""
    organiser = User.objects.get(email="organiser@example.org")
    organiser.language = language
    organiser.save(update_fields=["language"])
    client = Client()
    client.force_login(organiser)
    context = browser.new_context(viewport=VIEWPORTS["mobile"], locale=ACCEPT[language], permissions=["camera"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def saved_gate_page(page: Page, url: str) -> str:
    """The check-in page as the worker keeps it (Cache Storage, as anyone holding the phone could read it),
    once it is there: the worker saves it after answering (a first visit: after it has installed)."""
    return page.evaluate(
        """async (url) => {
            for (let tries = 0; tries < 100; tries += 1) {
                const hit = await (await caches.open("pages")).match(url);
                if (hit) return await hit.text();
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            return "";
        }""",
        url,
    )


@pytest.mark.parametrize("language", ["de"])
def test_the_gate_reopens_from_the_workers_copy_and_scans_with_no_server(
    browser, live_server, relay, gate, language, tmp_path, request
):
    event, session, entries, dusk = gate
    ember = entries[0]
    # Ember's ticket for 8 s, Dusk's (waitlisted) for 4 s, looping: Ember comes round again.
    clips = [(ticket_frame(ember.ticket_token), 40), (ticket_frame(dusk.ticket_token), 20)]
    camera_browser = launch_with_camera(browser, write_y4m_clips(clips, tmp_path / "gate.y4m", fps=5))
    request.addfinalizer(camera_browser.close)
    page = organiser_phone(camera_browser, relay.url, language)
    errors = watch_errors(page)
    url = f"{relay.url}/events/{event.slug}/check-in/"
    status = page.locator("#gate-status")

    # With signal: the page, its list downloaded, the worker in control and the page kept.
    page.goto(url)
    expect(status).to_have_text(said(language, "List of %(count)s entries downloaded at %(time)s", count=4))
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    kept = saved_gate_page(page, url)
    assert 'id="checkin"' in kept and token not in kept
    assert not re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', kept)

    # No signal: reloaded, the page opens from the saved copy and says so.
    relay.cut()
    page.reload()
    expect(page.locator("[data-offline-banner]")).to_have_text(SAYS[language]["saved"])
    expect(status).to_contain_text(said(language, "List of %(count)s entries downloaded at %(time)s", count=4))
    assert not re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', page.content())
    before_scan = timezone.now()

    page.locator("#scan-start").click()
    result = page.get_by_test_id("checkin-result")
    with translation.override(language):
        slot_text = translation.gettext("Slot %(slot)s") % {"slot": 1}
    expect(result.locator(".checkin-slot")).to_have_text(slot_text, timeout=20_000)
    expect(result.locator(".checkin-offline-note")).to_have_text(
        said(language, "No signal: decided on this phone, with the list downloaded at %(time)s.")
    )
    result.locator(".checkin-button").click()
    expect(page.locator(".checkin-queued")).to_contain_text(
        said(language, "Checked in: %(car)s, %(session)s.", car="#301 Ember", session=session.name)
    )
    expect(status).to_contain_text(said(language, "1 scan waiting"))

    refusal = "On the waitlist for %(session)s: this car has no place and no valid ticket."
    expect(result.locator(".checkin-refusal")).to_have_text(
        said(language, refusal, session=session.name), timeout=20_000
    )
    expect(result.locator(".checkin-button")).to_have_count(0)

    already = result.locator(".checkin-already")
    expect(already).to_have_text(said(language, "Already checked in at %(time)s on this phone."), timeout=20_000)
    page.locator("#scan-start").click()  # the camera off: the panel stays as it is
    already_text = already.inner_text()
    page.mouse.move(0, 0)
    page.evaluate("() => Promise.all(document.getAnimations().map((animation) => animation.finished))")
    assert_accessible(page)
    assert_valid_html({f"gate from the saved copy, a scan waiting ({language})": page.content()})
    assert_no_horizontal_overflow(page)
    assert Entry.objects.get(pk=ember.pk).checked_in_at is None
    before_sync = timezone.now()

    # The signal returns: the queue is sent (by itself, or at once with "Sync now").
    relay.restore()
    page.locator("#gate-sync").click()
    expect(status).to_contain_text(said(language, "%(count)s scans waiting", count=0))
    expect(status).to_contain_text(said(language, "last synced %(time)s"))
    checked_in_at = Entry.objects.get(pk=ember.pk).checked_in_at
    assert before_scan <= checked_in_at <= before_sync  # the phone's scan time, not the upload's
    scan = ember.gate_scans.get()
    assert (scan.outcome, scan.scanned_at, scan.by.email) == ("checked_in", checked_in_at, "organiser@example.org")
    assert timezone.localtime(checked_in_at).strftime("%H:%M") in already_text
    assert not dusk.gate_scans.exists()
    page.context.close()
    assert [e for e in errors if not any(text in e for text in OUTAGE)] == []


@pytest.mark.parametrize("language", ["en"])
def test_a_result_shown_with_signal_leaves_the_bare_page_to_reload(
    browser, live_server, relay, gate, language, tmp_path, request
):
    """A ticket scanned with signal shows its result in place, and the address stays the bare check-in page:
    the ticket's code is not in the phone's history, and a reload with no signal opens the saved copy (the
    result's own address, ?code=…, is never kept)."""
    event, session, entries, _dusk = gate
    ember = entries[0]
    video = write_y4m_clips([(ticket_frame(ember.ticket_token), 30)], tmp_path / "ember.y4m")
    camera_browser = launch_with_camera(browser, video)
    request.addfinalizer(camera_browser.close)
    page = organiser_phone(camera_browser, relay.url, language)
    errors = watch_errors(page)
    url = f"{relay.url}/events/{event.slug}/check-in/"
    page.goto(url)
    expect(page.locator("#gate-status")).to_contain_text(
        said(language, "List of %(count)s entries downloaded at %(time)s", count=4)
    )
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert saved_gate_page(page, url)

    page.locator("#scan-start").click()
    result = page.get_by_test_id("checkin-result")
    expect(result.locator(".checkin-button")).to_be_visible()
    expect(result.locator(".checkin-offline-note")).to_have_count(0)  # the server's answer
    page.locator("#scan-start").click()
    assert page.url == url
    assert page.evaluate("() => window.location.href") == url

    relay.cut()
    page.reload()
    expect(page.locator("[data-offline-banner]")).to_have_text(SAYS[language]["saved"])
    expect(page.locator("#gate-status")).to_contain_text(
        said(language, "List of %(count)s entries downloaded at %(time)s", count=4)
    )
    page.context.close()
    assert [e for e in errors if not any(text in e for text in OUTAGE)] == []
