"""The gate's check-in list for phones offline (``events:check_in_list``): what it holds and never holds, who may
read it, the cursor of changes, and its constant cost."""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from events.models import Entry
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def list_url(event, **params) -> str:
    url = reverse("events:check_in_list", args=[event.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def get_list(client, event, **params) -> dict:
    response = client.get(list_url(event, **params))
    assert response.status_code == 200, response.content
    return response.json()


def salted(salt: str, text: str, length: int) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + text.encode()).hexdigest()[:length]


@pytest.fixture
def session():
    return SessionFactory(name="Nordschleife convoy", capacity=10)


def test_list_holds_what_the_gate_shows_and_hashes_instead_of_secrets(organiser_client, session):
    public = EntryFactory(
        session=session,
        slot=5,
        car__nickname="Shadow",
        car__owner__display_name="Petra Public",
        car__colour_note="Java",
    )
    public.driver.show_name_publicly = True
    public.driver.save()
    private = EntryFactory(session=session, slot=6, car__owner__display_name="Hidden Hans")
    waiting = EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)

    response = organiser_client.get(list_url(session.event))

    body = response.content.decode()
    data = response.json()
    for entry in (public, private, waiting):
        for secret in (entry.ticket_token, entry.ticket_code, entry.ticket_code_display, entry.driver.email):
            assert secret not in body
    assert "Hidden Hans" not in body
    assert data["full"] is True
    assert data["event"]["slug"] == session.event.slug
    ends = datetime.datetime.fromisoformat(data["event"]["ends_at"])
    assert datetime.datetime.fromisoformat(data["event"]["drop_after"]) - ends == datetime.timedelta(days=1)
    assert data["sessions"] == [
        {
            "id": session.pk,
            "name": "Nordschleife convoy",
            "starts_at": timezone.localtime(session.starts_at).isoformat(),
        }
    ]
    salt = data["salt"]
    assert data["entries"][0] == {
        "id": public.pk,
        "session": session.pk,
        "slot": 5,
        "status": "confirmed",
        "colour": f"{public.car.colour.name} (Java)",
        "hex": public.car.colour.hex,
        "number": public.car.register_number,
        "nickname": "Shadow",
        "driver": "Petra Public",
        "checked_in_at": None,
        "token_hash": salted(salt, public.ticket_token, 32),
        "code_hash": salted(salt, public.ticket_code, 6),
        "attention": None,  # tests/events/test_gate_attention.py
        "emergency": None,
    }
    assert [(e["id"], e["status"], e["driver"]) for e in data["entries"][1:]] == [
        (private.pk, "confirmed", None),
        (waiting.pk, "waitlisted", None),
    ]


def test_salt_is_stable_per_event_and_differs_between_events(organiser_client, session):
    other = SessionFactory()
    first = get_list(organiser_client, session.event)["salt"]

    assert get_list(organiser_client, session.event)["salt"] == first
    assert get_list(organiser_client, other.event)["salt"] != first
    assert len(bytes.fromhex(first)) == 16


def test_other_events_tickets_of_the_same_cars_and_drivers_come_as_token_hashes(organiser_client, session):
    here = EntryFactory(session=session)
    same_car = EntryFactory(session__event__name="Gathering 2031", car=here.car, driver=UserFactory())
    same_driver = EntryFactory(session=same_car.session, driver=here.driver, status=Entry.Status.WAITLISTED, slot=None)
    cancelled = EntryFactory(session=same_car.session, car=here.car, status=Entry.Status.CANCELLED, slot=None)
    stranger = EntryFactory(session=same_car.session)
    today = timezone.localdate()
    past_event = EventFactory(starts_on=today - datetime.timedelta(days=9), ends_on=today - datetime.timedelta(days=8))
    past = EntryFactory(session__event=past_event, car=here.car)

    data = get_list(organiser_client, session.event)

    salt = data["salt"]
    assert sorted(data["other_tickets"], key=lambda t: t["token_hash"]) == sorted(
        [
            {"token_hash": salted(salt, same_car.ticket_token, 32), "event": "Gathering 2031"},
            {"token_hash": salted(salt, same_driver.ticket_token, 32), "event": "Gathering 2031"},
        ],
        key=lambda t: t["token_hash"],
    )
    body = json.dumps(data)
    for elsewhere in (cancelled, stranger, past):
        assert salted(salt, elsewhere.ticket_token, 32) not in body


def test_only_organisers_read_the_list_and_everyone_else_gets_json(client, owner, session):
    anonymous = client.get(list_url(session.event))
    client.force_login(owner)
    member = client.get(list_url(session.event))

    for response in (anonymous, member):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": "Only the event's organisers may use the gate."}


def test_unknown_event_and_bad_cursor_are_json_errors(organiser_client, session):
    missing = organiser_client.get(reverse("events:check_in_list", args=["no-such-event"]))
    bad = organiser_client.get(list_url(session.event, since="yesterday"))

    assert missing.status_code == 404
    assert missing.json() == {"error": "No such event."}
    assert bad.status_code == 400
    assert "download the whole list again" in bad.json()["error"]


def test_list_is_gzipped_and_never_stored(organiser_client, session):
    EntryFactory(session=session)

    response = organiser_client.get(list_url(session.event), HTTP_ACCEPT_ENCODING="gzip")

    assert response["Content-Encoding"] == "gzip"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(gzip.decompress(response.content))["entries"]


def _without_the_trigger(sql: str, params: list) -> None:
    """Run ``sql`` with the ``changed_at`` trigger set aside, to write a ``changed_at`` of the test's choosing (inside
    the test's transaction, so nothing of it outlives the test). The roster's deferred triggers fire first: a table
    with trigger events pending cannot be altered."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE events_entry DISABLE TRIGGER events_entry_changed_at")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE events_entry ENABLE TRIGGER events_entry_changed_at")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _written_minutes_ago(minutes: int) -> None:
    """Every entry as if last written ``minutes`` ago."""
    _without_the_trigger(
        "UPDATE events_entry SET changed_at = clock_timestamp() - %s", [datetime.timedelta(minutes=minutes)]
    )


def test_cursor_sends_only_what_changed_even_through_queryset_update(organiser_client, session):
    moved, cancelled, unchanged = (EntryFactory(session=session, slot=n) for n in (1, 2, 3))
    _written_minutes_ago(10)
    cursor = get_list(organiser_client, session.event)["cursor"]

    Entry.objects.filter(pk=moved.pk).update(slot=9)  # as a convoy renumbering writes: no save(), no signal
    Entry.objects.filter(pk=cancelled.pk).update(status=Entry.Status.CANCELLED, slot=None)
    delta = get_list(organiser_client, session.event, since=cursor)

    assert delta["full"] is False
    assert {(e["id"], e["slot"], e["status"]) for e in delta["entries"]} == {
        (moved.pk, 9, "confirmed"),
        (cancelled.pk, None, "cancelled"),
    }
    assert unchanged.pk not in {e["id"] for e in delta["entries"]}
    assert delta["other_tickets"] == []
    later = get_list(organiser_client, session.event, since=delta["cursor"])
    assert {e["id"] for e in later["entries"]} == {moved.pk, cancelled.pk}  # the overlap repeats recent changes


def test_cursor_overlap_catches_a_change_committed_after_the_list_was_read(organiser_client, session):
    """A transaction that wrote an entry a minute before the list was read, but committed after it, carries a
    ``changed_at`` before the cursor: the next delta still sends it."""
    late, old = EntryFactory(session=session, slot=1), EntryFactory(session=session, slot=2)
    _written_minutes_ago(10)
    cursor = get_list(organiser_client, session.event)["cursor"]
    _without_the_trigger(
        "UPDATE events_entry SET slot = 7, changed_at = clock_timestamp() - interval '1 minute' WHERE id = %s",
        [late.pk],
    )

    delta = get_list(organiser_client, session.event, since=cursor)

    assert [(e["id"], e["slot"]) for e in delta["entries"]] == [(late.pk, 7)]
    assert old.pk not in {e["id"] for e in delta["entries"]}


def test_every_write_sets_changed_at(session):
    entry = EntryFactory(session=session)
    first = Entry.objects.get(pk=entry.pk).changed_at

    Entry.objects.filter(pk=entry.pk).update(slot=4)

    assert first is not None
    assert Entry.objects.get(pk=entry.pk).changed_at > first


def test_list_costs_the_same_queries_whatever_the_event_size(organiser_client, session, django_assert_num_queries):
    """Session, user, the organiser's two permission reads, the event; then the clock, the sessions, the
    entries, their attention notes and emergency contacts, the other events' tickets."""
    event = session.event
    first = EntryFactory(session=session)
    EntryFactory(car=first.car)
    with django_assert_num_queries(10):
        small = get_list(organiser_client, event)
    second = SessionFactory(event=event)
    for n in range(12):
        here = EntryFactory(session=second if n % 2 else session)
        EntryFactory(car=here.car)
    with django_assert_num_queries(10):
        large = get_list(organiser_client, event)
    with django_assert_num_queries(10):
        get_list(organiser_client, event, since=large["cursor"])

    assert (len(small["entries"]), len(large["entries"])) == (1, 13)
    assert (len(small["other_tickets"]), len(large["other_tickets"])) == (1, 13)


def test_german_organiser_gets_german_errors(client, session):
    member = UserFactory(language="de")
    client.force_login(member)

    response = client.get(list_url(session.event))

    assert (
        response.json()["error"]
        == "Nur die Organisatoren der Veranstaltung dürfen den Check-in an der Einfahrt benutzen."
    )


def test_only_the_bare_check_in_page_may_be_kept_offline(organiser_client, session):
    entry = EntryFactory(session=session)
    page = reverse("events:check_in", args=[session.event.slug])

    assert organiser_client.get(page)["X-Offline"] == "keep"
    assert "X-Offline" not in organiser_client.get(page, {"entry": entry.pk})
    assert "X-Offline" not in organiser_client.get(page, {"q": "nobody"})
    # After a check-in posted without JavaScript, the bare page carries "Checked in: <car>": not kept either.
    entry.status, entry.slot = Entry.Status.CONFIRMED, 1
    entry.save()
    checked_in = organiser_client.post(reverse("events:check_in_entry", args=[session.event.slug, entry.pk]))
    after = organiser_client.get(checked_in.url)
    assert "Checked in:" in after.content.decode() and "X-Offline" not in after
    assert organiser_client.get(page)["X-Offline"] == "keep"  # the message was shown once


def test_a_check_in_from_another_phone_reaches_the_next_delta(organiser_client, session):
    arrived, waiting = EntryFactory(session=session, slot=1), EntryFactory(session=session, slot=2)
    _written_minutes_ago(10)
    cursor = get_list(organiser_client, session.event)["cursor"]
    at = timezone.localtime() - datetime.timedelta(minutes=1)
    scan = {"nonce": "5b0c8a8e-2f6e-4c55-9a55-0e1b8f7f2a11", "entry": arrived.pk, "scanned_at": at.isoformat()}
    organiser_client.post(
        reverse("events:check_in_sync", args=[session.event.slug]),
        data=json.dumps({"device": "Gate A", "scans": [scan]}),
        content_type="application/json",
    )

    delta = get_list(organiser_client, session.event, since=cursor)

    assert [(e["id"], e["checked_in_at"]) for e in delta["entries"]] == [(arrived.pk, at.isoformat())]
    assert waiting.pk not in {e["id"] for e in delta["entries"]}
