"""A phone's queued scans uploaded to ``events:check_in_sync``: a resend recorded once, the earliest scan wins,
duplicates kept and flagged, refusals in the online page's words, bad uploads refused whole."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry, GateScan
from tests.audit import entry_changes
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, organiser

pytestmark = pytest.mark.django_db


def sync(client, event, scans, *, device="Gate B", **extra):
    return client.post(
        reverse("events:check_in_sync", args=[event.slug]),
        data=json.dumps({"device": device, "scans": scans}),
        content_type="application/json",
        **extra,
    )


def scan(entry, at, nonce=None) -> dict:
    return {"nonce": str(nonce or uuid.uuid4()), "entry": entry.pk, "scanned_at": at.isoformat()}


def ago(minutes: int) -> datetime.datetime:
    return timezone.localtime() - datetime.timedelta(minutes=minutes)


def hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


@pytest.fixture
def session():
    return SessionFactory(name="Nordschleife convoy", capacity=10)


@pytest.fixture
def entry(session):
    return EntryFactory(session=session, slot=4)


def test_queued_scan_checks_in_at_the_phones_time_by_the_organiser_from_the_device(
    organiser_client, organiser, session, entry
):
    at = ago(30)

    response = sync(organiser_client, session.event, [one := scan(entry, at)])

    assert response.status_code == 200
    data = response.json()
    assert data["results"] == [
        {
            "nonce": one["nonce"],
            "outcome": "checked_in",
            "message": f"Checked in: {entry.car}, Nordschleife convoy.",
            "entry": entry.pk,
            "checked_in_at": at.isoformat(),
        }
    ]
    assert datetime.datetime.fromisoformat(data["synced_at"]) >= at
    entry.refresh_from_db()
    assert (entry.checked_in_at, entry.checked_in_by) == (at, organiser)
    [record] = GateScan.objects.all()
    assert (record.device, record.by, record.online, record.scanned_at) == ("Gate B", organiser, False, at)
    assert [(c.field, c.by, c.reason) for c in entry_changes(entry)] == [
        ("checked_in_at", organiser.pk, "checked in"),
        ("checked_in_by", organiser.pk, "checked in"),
    ]


def test_a_resend_is_recorded_once_and_answers_the_same(organiser_client, session, entry):
    scans = [scan(entry, ago(5)), scan(entry, ago(4))]
    first = sync(organiser_client, session.event, scans).json()["results"]
    changes = len(entry_changes(entry))

    again = sync(organiser_client, session.event, scans).json()["results"]

    assert [r["outcome"] for r in first] == ["checked_in", "duplicate"]
    assert again == first
    assert GateScan.objects.count() == 2
    assert len(entry_changes(entry)) == changes


def test_same_nonce_twice_in_one_upload_is_one_scan(organiser_client, session, entry):
    nonce = uuid.uuid4()

    results = sync(organiser_client, session.event, [scan(entry, ago(5), nonce), scan(entry, ago(3), nonce)])

    assert [r["outcome"] for r in results.json()["results"]] == ["checked_in", "checked_in"]
    assert GateScan.objects.count() == 1


def test_an_earlier_scan_uploaded_later_takes_the_check_in_and_the_later_one_is_the_duplicate(session, entry, client):
    gate_a, gate_b = organiser(display_name="Anna at A"), organiser(display_name="Bert at B")
    late, early = scan(entry, ago(10)), scan(entry, ago(13))
    client.force_login(gate_b)
    assert sync(client, session.event, [late]).json()["results"][0]["outcome"] == "checked_in"

    client.force_login(gate_a)
    results = sync(client, session.event, [early], device="Gate A").json()["results"]

    assert results[0]["outcome"] == "checked_in"
    entry.refresh_from_db()
    assert entry.checked_in_at == datetime.datetime.fromisoformat(early["scanned_at"])
    assert entry.checked_in_by == gate_a
    outcomes = dict(GateScan.objects.values_list("device", "outcome"))
    assert outcomes == {"Gate A": "checked_in", "Gate B": "duplicate"}
    assert [c.reason for c in entry_changes(entry)][-1] == "checked in: an earlier scan"
    replay = sync(client, session.event, [late]).json()["results"][0]
    assert (replay["outcome"], replay["message"]) == (
        "duplicate",
        f"Already checked in at {hhmm(entry.checked_in_at)} by Anna at A.",
    )


def test_within_one_upload_the_earliest_scan_checks_in(organiser_client, session, entry):
    late, early, earliest = scan(entry, ago(10)), scan(entry, ago(20)), scan(entry, ago(30))

    results = sync(organiser_client, session.event, [late, early, earliest]).json()["results"]

    assert [r["outcome"] for r in results] == ["duplicate", "duplicate", "checked_in"]  # as recorded at the end
    recorded = dict(GateScan.objects.values_list("nonce", "outcome"))
    assert {str(k): v for k, v in recorded.items()} == {
        late["nonce"]: "duplicate",
        early["nonce"]: "duplicate",
        earliest["nonce"]: "checked_in",
    }
    assert Entry.objects.get(pk=entry.pk).checked_in_at == datetime.datetime.fromisoformat(earliest["scanned_at"])
    replay = sync(organiser_client, session.event, [late]).json()["results"][0]
    assert replay["outcome"] == "duplicate"


def test_second_scan_is_a_flagged_duplicate_shown_next_to_the_entry(organiser_client, organiser, session, entry):
    first = services.entry_check_in(entry=entry, by=UserFactory(display_name="Frida First", is_staff=True))
    at = timezone.localtime()

    result = sync(organiser_client, session.event, [scan(entry, at)]).json()["results"][0]

    assert result["outcome"] == "duplicate"
    assert result["message"] == f"Already checked in at {hhmm(first.checked_in_at)} by Frida First."
    assert Entry.objects.get(pk=entry.pk).checked_in_at == first.checked_in_at
    online, duplicate = GateScan.objects.order_by("pk")
    assert (online.online, online.outcome, duplicate.outcome, duplicate.reason) == (
        True,
        "checked_in",
        "duplicate",
        "already",
    )
    page = organiser_client.get(reverse("events:check_in", args=[session.event.slug]) + f"?entry={entry.pk}")
    assert [s.summary for s in page.context["scans"]] == [
        f"Also scanned at Gate B at {hhmm(at)}: a duplicate, the car was already in."
    ]


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        (Entry.Status.CANCELLED, "cancelled", "This entry is cancelled: it cannot be checked in."),
        (
            Entry.Status.WAITLISTED,
            "waitlisted",
            "This car is on the waitlist: it has no place in this session and cannot be checked in.",
        ),
        (
            Entry.Status.EXPIRED,
            "expired",
            "This entry has expired: its fee was not paid by the deadline, so it has no valid ticket.",
        ),
    ],
)
def test_entry_no_longer_confirmed_is_refused_and_recorded(organiser_client, session, entry, status, reason, words):
    at = ago(2)
    Entry.objects.filter(pk=entry.pk).update(status=status, slot=None)  # after the phone's download

    result = sync(organiser_client, session.event, [scan(entry, at)]).json()["results"][0]

    assert (result["outcome"], result["message"], result["checked_in_at"]) == ("refused", words, None)
    assert Entry.objects.get(pk=entry.pk).checked_in_at is None
    [record] = GateScan.objects.all()
    assert (record.outcome, record.reason) == ("refused", reason)
    page = organiser_client.get(reverse("events:check_in", args=[session.event.slug]) + f"?entry={entry.pk}")
    assert [s.summary for s in page.context["scans"]] == [
        f"Refused at Gate B at {hhmm(at)}: {record.get_reason_display()}."
    ]


def test_ticket_of_another_event_is_refused(organiser_client, session):
    other = EntryFactory(session__event__name="Gathering 2031")

    result = sync(organiser_client, session.event, [scan(other, ago(2))]).json()["results"][0]

    assert result["outcome"] == "refused"
    assert result["message"] == f"This ticket is for Gathering 2031, not for {session.event.name}."
    assert Entry.objects.get(pk=other.pk).checked_in_at is None
    assert GateScan.objects.get().reason == "other_event"


def test_unknown_entry_is_refused_and_not_recorded(organiser_client, session, entry):
    result = sync(organiser_client, session.event, [{**scan(entry, ago(1)), "entry": entry.pk + 1000}])

    assert result.json()["results"][0]["outcome"] == "refused"
    assert not GateScan.objects.exists()


def test_scan_uploaded_more_than_a_day_after_the_event_is_refused(organiser_client):
    today = timezone.localdate()
    event = EventFactory(starts_on=today - datetime.timedelta(days=3), ends_on=today - datetime.timedelta(days=2))
    old = EntryFactory(session__event=event)

    result = sync(organiser_client, event, [scan(old, ago(60 * 24 * 3))]).json()["results"][0]

    assert result["outcome"] == "refused"
    assert result["message"] == "Uploaded too late: this gate took queued scans until a day after the event's end."
    assert Entry.objects.get(pk=old.pk).checked_in_at is None
    assert GateScan.objects.get().reason == "too_late"


def test_a_phone_clock_ahead_is_clamped_to_the_time_received(organiser_client, session, entry):
    before = timezone.now()

    sync(organiser_client, session.event, [scan(entry, timezone.now() + datetime.timedelta(hours=2))])

    entry.refresh_from_db()
    assert before <= entry.checked_in_at <= timezone.now()


def test_only_organisers_may_upload(client, owner, session, entry):
    anonymous = sync(client, session.event, [scan(entry, ago(1))])
    client.force_login(owner)
    member = sync(client, session.event, [scan(entry, ago(1))])

    for response in (anonymous, member):
        assert response.status_code == 403
        assert response.json() == {"error": "Only the event's organisers may use the gate."}
    assert not GateScan.objects.exists()
    assert Entry.objects.get(pk=entry.pk).checked_in_at is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "The upload is not readable JSON."),
        ("[" * 100_000, "The upload is not readable JSON."),
        (b"\xff\xfe\x00garbage", "The upload is not readable JSON."),
        ("[]", "The upload needs a list of scans."),
        ('{"scans": {}}', "The upload needs a list of scans."),
        (
            '{"device": "' + "x" * 41 + '", "scans": []}',
            "The device's name must be printable text of at most 40 characters.",
        ),
        ('{"device": 7, "scans": []}', "The device's name must be printable text of at most 40 characters."),
        (
            '{"device": "Gate\\u0000B", "scans": []}',
            "The device's name must be printable text of at most 40 characters.",
        ),
    ],
)
def test_unreadable_upload_is_a_400_with_words(organiser_client, session, body, words):
    response = organiser_client.post(
        reverse("events:check_in_sync", args=[session.event.slug]), data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"error": words}


@pytest.mark.parametrize(
    "bad",
    [
        {"nonce": "not-a-uuid"},
        {"nonce": None},
        {"entry": "12"},
        {"entry": True},
        {"entry": 0},
        {"entry": 2**63},
        {"scanned_at": "yesterday"},
        {"scanned_at": "2031-08-02T07:43:00"},  # no offset: whose clock?
        {"scanned_at": 1733480000},
    ],
)
def test_one_bad_scan_refuses_the_whole_upload_and_changes_nothing(organiser_client, session, entry, bad):
    good = scan(entry, ago(3))

    response = sync(organiser_client, session.event, [good, {**scan(entry, ago(2)), **bad}])

    assert response.status_code == 400
    assert response.json()["error"].startswith("Scan 2: it needs a nonce (a UUID), an entry (its id) and scanned_at")
    assert not GateScan.objects.exists()
    assert Entry.objects.get(pk=entry.pk).checked_in_at is None


def test_more_than_a_thousand_scans_are_refused(organiser_client, session, entry):
    response = sync(organiser_client, session.event, [scan(entry, ago(1)) for _ in range(1001)])

    assert response.status_code == 400
    assert response.json() == {"error": "At most 1000 scans per upload: send the rest in another."}


def test_sync_answers_in_the_organisers_language(client, session, entry):
    client.force_login(organiser(language="de"))
    entry_check = services.entry_check_in(entry=entry, by=None)

    result = sync(client, session.event, [scan(entry, ago(0))]).json()["results"][0]

    assert result["message"] == f"Bereits eingecheckt um {hhmm(entry_check.checked_in_at)}."


def test_get_is_not_allowed(organiser_client, session):
    assert organiser_client.get(reverse("events:check_in_sync", args=[session.event.slug])).status_code == 405


def test_online_check_in_is_recorded_as_a_scan_of_the_page(organiser_client, organiser, session, entry):
    organiser_client.post(reverse("events:check_in_entry", args=[session.event.slug, entry.pk]))

    [record] = GateScan.objects.all()
    entry.refresh_from_db()
    assert (record.online, record.outcome, record.by, record.scanned_at) == (
        True,
        "checked_in",
        organiser,
        entry.checked_in_at,
    )
    assert record.summary == f"Checked in at the check-in page at {hhmm(entry.checked_in_at)}."
