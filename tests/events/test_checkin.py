"""Check-in at the gate: find a ticket by its QR token, short code or a search; check in once; refusals."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry
from tests.audit import entry_changes
from tests.factories import EntryFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_url(event, **params) -> str:
    url = reverse("events:check_in", args=[event.slug])
    return f"{url}?{urlencode(params)}" if params else url


@pytest.fixture
def session():
    return SessionFactory(name="Nordschleife convoy", capacity=10)


def test_scan_shows_car_in_large_type_with_one_check_in_button(organiser_client, session):
    entry = EntryFactory(session=session, slot=7, car__nickname="Orange Peel")

    response = organiser_client.get(page_url(session.event, code=entry.ticket_token))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<p class="checkin-slot">Slot 7</p>' in page
    assert f"#{entry.car.register_number}" in page
    assert "Orange Peel" in page
    assert page.count('class="btn btn-success btn-lg w-100 checkin-button"') == 1
    assert reverse("events:check_in_entry", args=[session.event.slug, entry.pk]) in page


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{dashed}"])
def test_short_code_typed_in_any_form_finds_the_ticket(organiser_client, session, typed):
    entry = EntryFactory(session=session, slot=3)
    text = typed.format(code=entry.ticket_code, lower=entry.ticket_code.lower(), dashed=entry.ticket_code_display)

    page = organiser_client.get(page_url(session.event, q=text)).content.decode()

    assert '<p class="checkin-slot">Slot 3</p>' in page


def test_check_in_post_checks_in_audits_and_returns_to_the_gate(organiser_client, organiser, session):
    entry = EntryFactory(session=session, slot=2)

    response = organiser_client.post(reverse("events:check_in_entry", args=[session.event.slug, entry.pk]))

    assert response.status_code == 302
    assert response["Location"] == page_url(session.event)
    entry.refresh_from_db()
    assert entry.checked_in_by == organiser
    assert [(c.field, c.by, c.reason) for c in entry_changes(entry)] == [
        ("checked_in_at", organiser.pk, "checked in"),
        ("checked_in_by", organiser.pk, "checked in"),
    ]
    page = organiser_client.get(response["Location"]).content.decode()
    assert f"Checked in: {entry.car}, Nordschleife convoy." in page
    assert "This field is required" not in page
    at = timezone.localtime(entry.checked_in_at).strftime("%H:%M")
    result = organiser_client.get(page_url(session.event, entry=entry.pk)).content.decode()
    assert f"Already checked in at {at} by Orla Organiser." in result
    assert "checkin-button" not in result


def test_second_scan_says_when_and_by_whom(organiser_client, session):
    entry = EntryFactory(session=session, slot=2)
    first = UserFactory(display_name="Frida First", is_staff=True)
    services.entry_check_in(entry=entry, by=first)
    entry.refresh_from_db()

    page = organiser_client.get(page_url(session.event, code=entry.ticket_token)).content.decode()

    at = timezone.localtime(entry.checked_in_at).strftime("%H:%M")
    assert f"Already checked in at {at} by Frida First." in page
    assert "checkin-button" not in page


def test_second_check_in_post_changes_nothing_and_says_so(organiser_client, session):
    entry = EntryFactory(session=session, slot=2)
    first = UserFactory(display_name="Frida First", is_staff=True)
    entry = services.entry_check_in(entry=entry, by=first)

    response = organiser_client.post(
        reverse("events:check_in_entry", args=[session.event.slug, entry.pk]), follow=True
    )

    at = timezone.localtime(entry.checked_in_at).strftime("%H:%M")
    assert f"Already checked in at {at} by Frida First." in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).checked_in_by == first
    assert [c.field for c in entry_changes(entry)] == ["checked_in_at", "checked_in_by"]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (
            Entry.Status.WAITLISTED,
            "On the waitlist for Nordschleife convoy: this car has no place and no valid ticket.",
        ),
        (Entry.Status.CANCELLED, "Cancelled: this entry for Nordschleife convoy has no valid ticket."),
    ],
)
def test_inactive_ticket_is_refused_in_plain_words(organiser_client, session, status, text):
    entry = EntryFactory(session=session, status=status, slot=None)

    page = organiser_client.get(page_url(session.event, code=entry.ticket_token)).content.decode()

    assert text in page
    assert "checkin-button" not in page


@pytest.mark.parametrize("status", [Entry.Status.WAITLISTED, Entry.Status.CANCELLED])
def test_inactive_entry_post_is_refused_and_nothing_changes(organiser_client, session, status):
    entry = EntryFactory(session=session, status=status, slot=None)

    organiser_client.post(reverse("events:check_in_entry", args=[session.event.slug, entry.pk]))

    assert Entry.objects.get(pk=entry.pk).checked_in_at is None
    assert entry_changes(entry) == []


def test_ticket_of_another_event_is_refused(organiser_client, session):
    other = EntryFactory(session__event__name="Gathering 2099", slot=1)

    page = organiser_client.get(page_url(session.event, code=other.ticket_token)).content.decode()

    assert f"This ticket is for Gathering 2099, not for {session.event.name}." in page
    assert "checkin-button" not in page


def test_post_for_an_entry_of_another_event_is_404(organiser_client, session):
    other = EntryFactory(slot=1)

    response = organiser_client.post(reverse("events:check_in_entry", args=[session.event.slug, other.pk]))

    assert response.status_code == 404
    assert Entry.objects.get(pk=other.pk).checked_in_at is None


def test_unknown_code_is_refused(organiser_client, session):
    page = organiser_client.get(page_url(session.event, code="not-a-ticket")).content.decode()

    assert "No ticket matches this code." in page


@pytest.mark.parametrize("code", ["\x00", "ABCD\x00EFGH", "x" * 5000])
def test_a_code_no_ticket_can_have_is_refused(organiser_client, session, code):
    EntryFactory(session=session, slot=1)

    response = organiser_client.get(page_url(session.event, code=code))

    assert response.status_code == 200
    assert "No ticket matches this code." in response.content.decode()


@pytest.mark.parametrize("by", ["register", "hash", "slot", "name", "nickname"])
def test_search_by_register_number_slot_or_name(organiser_client, session, by):
    EntryFactory(
        session=session,
        slot=12,
        car__register_number=4711,
        car__nickname="Green Mamba",
        car__owner__display_name="Hanna",
    )
    # A name of its own: the factory's "Owner 112" would match the slot search for 12 too.
    EntryFactory(session=session, slot=13, car__register_number=4712, car__owner__display_name="Bert")
    text = {"register": "4711", "hash": "#4711", "slot": "12", "name": "hann", "nickname": "mamba"}[by]

    page = organiser_client.get(page_url(session.event, q=text)).content.decode()

    assert '<p class="checkin-slot">Slot 12</p>' in page
    assert "#4711" in page


def test_search_with_several_matches_lists_them(organiser_client, session):
    EntryFactory(session=session, slot=1, car__nickname="Orange one")
    EntryFactory(session=session, slot=2, car__nickname="Orange two")
    EntryFactory(slot=3, car__nickname="Orange elsewhere")

    page = organiser_client.get(page_url(session.event, q="orange")).content.decode()

    assert "Orange one" in page
    assert "Orange two" in page
    assert "Orange elsewhere" not in page
    assert "checkin-button" not in page


def test_search_nothing_found(organiser_client, session):
    page = organiser_client.get(page_url(session.event, q="nobody")).content.decode()

    assert "Nothing found in this event." in page


@pytest.mark.parametrize("query", [{"q": "²"}, {"q": "#³"}, {"entry": "²"}], ids=["q", "hash", "entry"])
def test_superscript_digits_are_not_a_number(organiser_client, session, query):
    # str.isdigit() says yes to "²", int() says no.
    EntryFactory(session=session, slot=2, car__register_number=2)

    response = organiser_client.get(page_url(session.event, **query))

    assert response.status_code == 200
    page = response.content.decode()
    assert "checkin-button" not in page
    assert ("Nothing found in this event." in page) == ("q" in query)


def test_result_lists_the_cars_other_entries_of_that_day(organiser_client, session):
    entry = EntryFactory(session=session, slot=1)
    later = SessionFactory(
        event=session.event, name="Afternoon parade", starts_at=session.starts_at + datetime.timedelta(hours=4)
    )
    EntryFactory(session=later, car=entry.car, slot=5)
    next_day = SessionFactory(
        event=session.event, name="Sunday GP", starts_at=session.starts_at + datetime.timedelta(days=1)
    )
    EntryFactory(session=next_day, car=entry.car, slot=6)

    page = organiser_client.get(page_url(session.event, code=entry.ticket_token)).content.decode()

    assert "Afternoon parade: Confirmed, slot 5" in page
    assert "Sunday GP: Confirmed" not in page


def test_counts_json_per_session(organiser_client, organiser, session):
    first = EntryFactory(session=session, slot=1)
    EntryFactory(session=session, slot=2)
    EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)
    services.entry_check_in(entry=first, by=organiser)

    response = organiser_client.get(reverse("events:check_in_counts", args=[session.event.slug]))

    assert response.json() == {"sessions": [{"id": session.pk, "checked_in": 1, "confirmed": 2}]}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["check_in", "check_in_counts"])
def test_owner_and_registrar_are_refused(client, registrar, session, name):
    owner = UserFactory()
    for user in (owner, registrar):
        client.force_login(user)
        assert client.get(reverse(f"events:{name}", args=[session.event.slug])).status_code == 403


def test_anonymous_goes_to_login(client, session):
    response = client.get(page_url(session.event))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_check_in_page_query_count_is_constant(organiser_client, session, django_assert_num_queries):
    """Session, user, the organiser's two permission reads, the event, the counts; a ticket adds three
    (the ticket, the car's entries of that day, the entry's other scans at the gate), a search one; the counts
    alone are the same six."""
    event = session.event
    entries = [EntryFactory(session=session, slot=n) for n in range(1, 4)]
    for n in range(3):
        SessionFactory(event=event, starts_at=session.starts_at + datetime.timedelta(hours=n + 1))

    with django_assert_num_queries(6):
        organiser_client.get(page_url(event))
    with django_assert_num_queries(9):
        organiser_client.get(page_url(event, code=entries[0].ticket_token))
    for extra in entries[1:]:
        EntryFactory(session=session, car=extra.car, status=Entry.Status.CANCELLED, slot=None)
    with django_assert_num_queries(9):
        organiser_client.get(page_url(event, code=entries[1].ticket_token))
    with django_assert_num_queries(7):
        organiser_client.get(page_url(event, q="nobody"))
    with django_assert_num_queries(6):
        organiser_client.get(reverse("events:check_in_counts", args=[event.slug]))


def test_search_lists_confirmed_before_waitlisted_and_cancelled(organiser_client, session):
    gone = EntryFactory(session=session, status=Entry.Status.CANCELLED, slot=None, car__nickname="Orange gone")
    waiting = EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None, car__nickname="Orange wait")
    there = EntryFactory(session=session, slot=4, car__nickname="Orange there")

    page = organiser_client.get(page_url(session.event, q="orange")).content.decode()

    positions = [page.index(f"?entry={entry.pk}") for entry in (there, waiting, gone)]
    assert positions == sorted(positions)
