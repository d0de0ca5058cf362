"""The organisers' admin at a 1,280 px window: the event page (with its sessions) and the events list
fit the window, every column of the list in view."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORTS
from tests.e2e.helpers import PASSWORD, ensure_reference_data
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDEST = """() => {
  const right = Math.max(...Array.from(document.querySelectorAll('#content *'))
    .filter(el => el.getClientRects().length)
    .map(el => el.getBoundingClientRect().right));
  return [document.documentElement.scrollWidth, Math.ceil(right), window.innerWidth];
}"""

# The object tools (buttons) that lie over the text of the page's title or the object's name.
TOOLS_OVER_TITLE = """() => {
  const text = [];
  for (const heading of document.querySelectorAll('#content > h1, #content > h2')) {
    const range = document.createRange();
    range.selectNodeContents(heading);
    text.push(...range.getClientRects());
  }
  return Array.from(document.querySelectorAll('.object-tools a')).filter(a => {
    const r = a.getBoundingClientRect();
    return text.some(t => r.left < t.right && r.right > t.left && r.top < t.bottom && r.bottom > t.top);
  }).map(a => a.innerText);
}"""


def test_event_page_and_events_list_fit_1280(browser, live_server):
    ensure_reference_data()
    organiser = UserFactory(email="organiser@example.org", is_staff=True)
    organiser.groups.add(Group.objects.get(name="Organisers"))
    event = EventFactory(name="Nürburgring gathering 2031 — 1M Register annual meeting", venue="Nürburgring")
    for name in ["Nordschleife convoy (Saturday morning)", "GP circuit session", "Photo parade"]:
        session = SessionFactory(event=event, name=name, pace_car="BMW 2002 turbo")
        EntryFactory(session=session, slot=1)
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Email address").fill("organiser@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    for url in [f"/admin/events/event/{event.pk}/change/", "/admin/events/event/"]:
        page.goto(live_server.url + url)
        document_width, widest, window = page.evaluate(WIDEST)
        assert document_width <= window, f"{url}: {document_width} px wide in a {window} px window"
        assert widest <= window, f"{url}: something reaches {widest} px in a {window} px window"
    headers = page.locator("#result_list thead th")
    assert headers.count() == 7  # the checkbox and the six columns
    for index in range(headers.count()):
        box = headers.nth(index).bounding_box()
        assert box["x"] + box["width"] <= VIEWPORTS["desktop"]["width"], headers.nth(index).inner_text()

    # In German the event's five tools take two rows; none of them may cover the event's name.
    event.roster_published = True
    event.save()
    organiser.language = "de"
    organiser.save()
    page.goto(f"{live_server.url}/admin/events/event/{event.pk}/change/")
    expect(page.locator(".object-tools")).to_contain_text("Veröffentlichung der Starterliste zurücknehmen")
    assert page.evaluate(TOOLS_OVER_TITLE) == []
    context.close()


def test_car_export_select_all_box_is_labelled_and_works_under_the_csp(browser, live_server):
    # Its inline onchange is blocked by the Content-Security-Policy (Chromium still reports that in the console):
    # static/js/admin-export.js wires the box instead.
    ensure_reference_data()
    registrar = UserFactory(email="registrar@example.org", is_staff=True)
    registrar.groups.add(Group.objects.get(name="Registrars"))
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/register/car/export/")
    page.get_by_label("Email address").fill("registrar@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    toggle = page.get_by_label("Select all")
    expect(toggle).to_be_checked()
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 3
    toggle.uncheck()
    assert [fields.nth(i).is_checked() for i in range(fields.count())] == [False] * fields.count()
    toggle.check()
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    context.close()
