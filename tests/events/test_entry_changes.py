"""The admin's "Entry changes" list: every entry's snapshots across sessions, newest first, read-only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import services
from events.models import Entry
from tests.factories import EventFactory, SessionFactory, owners_with_cars

pytestmark = pytest.mark.django_db

CHANGES = "/admin/events/historicalentry/"


def sign_up(session, cars):
    return [services.entry_create(session=session, car=car, driver=car.owner) for car in cars]


@pytest.fixture
def sessions():
    event = EventFactory(name="Gathering 2031", slug="gathering-2031")
    convoy = SessionFactory(event=event, name="Nordschleife convoy", slug="convoy", capacity=1)
    gp = SessionFactory(event=event, name="GP circuit", slug="gp", capacity=5)
    return convoy, gp


def rows(response) -> list[list[str]]:
    """The changelist's rows as the text of their cells."""
    import re
    from html import unescape

    body = response.content.decode()
    table = body[body.index('<table id="result_list"') :]
    table = table[: table.index("</table>")]
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>") :], re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        found.append([" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells])
    return found


def test_organisers_see_each_change_with_what_moved_who_and_why_newest_first(organiser_client, organiser, sessions):
    convoy, _gp = sessions
    first, second = sign_up(convoy, owners_with_cars(2))
    services.entry_cancel(entry=first, by=organiser)

    response = organiser_client.get(CHANGES)

    assert response.status_code == 200
    got = [(row[3], row[4], row[5]) for row in rows(response)]
    owner = str(second.driver)
    assert got == [
        # The cancellation promotes the waitlisted car: two snapshots of one transaction, newest first.
        (
            "Status: Waitlisted → Confirmed; Slot: — → 1",
            "Orla Organiser",
            "promoted from the waitlist after a cancellation",
        ),
        ("Status: Confirmed → Cancelled; Slot: 1 → —", "Orla Organiser", "cancelled by an organiser"),
        ("Status: — → Waitlisted", owner, "sign-up"),
        ("Status: — → Confirmed; Slot: — → 1", str(first.driver), "sign-up"),
    ]
    html = response.content.decode()
    assert f'href="/admin/events/entry/{second.pk}/change/"' in html
    assert "Nordschleife convoy" in html


def test_the_list_filters_by_session(organiser_client, sessions):
    convoy, gp = sessions
    sign_up(convoy, owners_with_cars(1))
    sign_up(gp, owners_with_cars(2))

    response = organiser_client.get(CHANGES, {"session__id__exact": gp.pk})

    assert len(rows(response)) == 2
    assert all("GP circuit" in row[2] for row in rows(response))


def test_the_list_costs_the_same_queries_for_3_and_30_changes(organiser_client, sessions):
    convoy, gp = sessions

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert organiser_client.get(CHANGES).status_code == 200
        return len(captured)

    sign_up(gp, owners_with_cars(3))
    few = queries()
    sign_up(convoy, owners_with_cars(27))
    assert Entry.history.count() == 30
    assert queries() == few


def test_nobody_adds_changes_or_deletes_a_snapshot(organiser_client, admin_client, sessions):
    entry = sign_up(sessions[0], owners_with_cars(1))[0]
    record = entry.history.get()

    for client in (organiser_client, admin_client):
        assert client.get(f"{CHANGES}add/").status_code == 403
        assert client.post(f"{CHANGES}{record.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post(f"{CHANGES}{record.pk}/change/", {"status": "cancelled"}).status_code == 403
    assert list(entry.history.values_list("status", "history_change_reason")) == [("confirmed", "sign-up")]


def test_registrars_and_owners_do_not_see_the_list(client, registrar, owner):
    client.force_login(registrar)
    assert client.get(CHANGES).status_code == 403
    client.force_login(owner)
    assert client.get(CHANGES).status_code == 302


def test_the_list_speaks_the_organisers_language(organiser_client, organiser, sessions):
    sign_up(sessions[0], owners_with_cars(1))
    organiser.language = "de"
    organiser.save()

    response = organiser_client.get(CHANGES, HTTP_ACCEPT_LANGUAGE="de")

    html = response.content.decode()
    assert "Änderungen an Anmeldungen" in html
    table = html[html.index('<table id="result_list"') :]
    head = table[: table.index("</thead>")]
    assert "History" not in head  # django-simple-history's own column names are English only
    for column in ("Zeitpunkt", "Anmeldung", "Turn", "Änderung", "Benutzer", "Grund"):
        assert column in head
    assert "Status: — → Bestätigt" in " ".join(rows(response)[0])


def test_a_reason_is_stored_in_english_and_shown_in_each_readers_language(client, organiser, sessions):
    entry = sign_up(sessions[0], owners_with_cars(1))[0]
    organiser.language = "de"
    organiser.save()
    client.force_login(organiser)

    # A German organiser cancels through the admin, in German.
    response = client.post(
        "/admin/events/entry/",
        {"action": "cancel", "_selected_action": [entry.pk]},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    assert response.status_code == 302
    stored = list(entry.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert stored == ["sign-up", "cancelled by an organiser"]
    german = [row[5] for row in rows(client.get(CHANGES, HTTP_ACCEPT_LANGUAGE="de"))]
    assert german == ["von einem Organisator storniert", "Anmeldung"]
    organiser.language = "en"
    organiser.save()
    english = [row[5] for row in rows(client.get(CHANGES, HTTP_ACCEPT_LANGUAGE="en"))]
    assert english == ["cancelled by an organiser", "sign-up"]
