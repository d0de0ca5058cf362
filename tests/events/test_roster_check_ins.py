"""Check-ins on the public roster: shown only when the event chooses to (``Event.show_check_ins``, off by
default), on the page, the cached page and in every download that carries them."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event
from tests.factories import EntryFactory, EventFactory, SessionFactory

pytestmark = pytest.mark.django_db

TICK_HEADER = '<th scope="col">Checked in</th>'
TICK = '<td class="checkin" data-label="Checked in"><span aria-hidden="true">✓</span>'


@pytest.fixture
def arrived():
    """A published event whose first car has arrived and whose second has not."""
    session = SessionFactory(event=EventFactory(roster_published=True), capacity=5)
    EntryFactory(session=session, slot=1, checked_in_at=timezone.now())
    EntryFactory(session=session, slot=2)
    return session.event


def url(event: Event, name: str = "events:roster") -> str:
    return reverse(name, args=[event.slug])


def test_new_event_does_not_show_check_ins():
    assert EventFactory().show_check_ins is False


@pytest.mark.parametrize("shown", [False, True])
def test_roster_page_shows_check_ins_only_when_the_event_does(client, arrived, shown):
    Event.objects.filter(pk=arrived.pk).update(show_check_ins=shown)

    page = client.get(url(arrived)).content.decode()

    assert (TICK_HEADER in page, TICK in page, 'class="checkin"' in page) == (shown, shown, shown)


@pytest.mark.parametrize("shown", [False, True])
def test_roster_json_carries_check_ins_only_when_the_event_shows_them(client, arrived, shown):
    Event.objects.filter(pk=arrived.pk).update(show_check_ins=shown)

    entries = client.get(url(arrived, "events:roster_json")).json()["sessions"][0]["entries"]

    expected = [True, False] if shown else [None, None]
    assert [e.get("checked_in") for e in entries] == expected
    assert ["checked_in" in e for e in entries] == [shown, shown]


@pytest.mark.parametrize("shown", [False, True])
def test_roster_csv_has_a_check_in_column_only_when_the_event_shows_them(client, arrived, shown):
    Event.objects.filter(pk=arrived.pk).update(show_check_ins=shown)

    rows = list(csv.reader(io.StringIO(client.get(url(arrived, "events:roster_csv")).content.decode())))

    assert ("checked_in" in rows[0], len(rows[0])) == (shown, 11 if shown else 10)
    assert [len(r) for r in rows[1:]] == [len(rows[0])] * 2
    if shown:
        assert [r[-1] for r in rows[1:]] == ["yes", "no"]


def test_calendar_says_nothing_about_check_ins(client, arrived):
    Event.objects.filter(pk=arrived.pk).update(show_check_ins=True)

    body = client.get(url(arrived, "events:calendar")).content.decode().lower()

    assert "check" not in body


@pytest.mark.django_db(transaction=True)
def test_turning_check_ins_on_and_off_shows_on_the_cached_roster_at_once(client, arrived):
    client.get(url(arrived))
    assert TICK not in client.get(url(arrived)).content.decode()  # served from the cache

    arrived.show_check_ins = True
    arrived.save(update_fields=["show_check_ins"])
    shown = client.get(url(arrived)).content.decode()
    arrived.show_check_ins = False
    arrived.save(update_fields=["show_check_ins"])
    hidden = client.get(url(arrived)).content.decode()

    assert TICK in shown
    assert TICK_HEADER not in hidden and TICK not in hidden


def test_event_admin_offers_the_setting_with_its_reason(organiser_client, arrived):
    page = organiser_client.get(reverse("admin:events_event_change", args=[arrived.pk])).content.decode()

    assert 'type="checkbox" name="show_check_ins"' in page
    assert "whose home is empty" in page
