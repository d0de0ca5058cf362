"""Two phones upload at the same moment, through HTTP in real threads (each its own database connection and
transaction, as two requests are): the entry's row lock and the nonce's unique index keep one check-in."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry, GateScan
from tests.audit import entry_changes
from tests.events.test_race import run_at_once, while_held_open
from tests.factories import EntryFactory, organiser

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def phones(count: int) -> list[Client]:
    clients = []
    for n in range(count):
        client = Client()
        client.force_login(organiser(email=f"gate{n}@example.org", display_name=f"Gate {n}"))
        clients.append(client)
    return clients


def upload(client: Client, entry: Entry, *, at: datetime.datetime, nonce: uuid.UUID, device: str) -> dict:
    response = client.post(
        reverse("events:check_in_sync", args=[entry.session.event.slug]),
        data=json.dumps(
            {"device": device, "scans": [{"nonce": str(nonce), "entry": entry.pk, "scanned_at": at.isoformat()}]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["results"][0]


def test_two_phones_upload_the_same_ticket_at_once_one_check_in_one_duplicate():
    entry = EntryFactory()
    clients = phones(2)
    now = timezone.now()
    times = [now - datetime.timedelta(minutes=7), now - datetime.timedelta(minutes=5)]

    results = run_at_once(
        2, lambda i: upload(clients[i], entry, at=times[i], nonce=uuid.uuid4(), device=f"Gate {'AB'[i]}")
    )

    # Gate A's scan is the earlier: it checks the car in whichever upload took the lock first (B's answer says
    # "checked in" when B was first, and its record turns into the duplicate when A's arrives).
    assert results[0]["outcome"] == "checked_in", results
    entry.refresh_from_db()
    assert entry.checked_in_at == times[0]  # the earlier scan, whichever upload won the lock
    assert str(entry.checked_in_by) == "Gate 0"
    assert dict(GateScan.objects.values_list("device", "outcome")) == {"Gate A": "checked_in", "Gate B": "duplicate"}
    # Checked in once, or (when the later scan won the lock) checked in and moved back to the earlier scan.
    assert {c.reason for c in entry_changes(entry)} <= {"checked in", "checked in: an earlier scan"}


def test_the_same_scan_uploaded_twice_at_once_is_recorded_once():
    """A phone's retry racing its first upload: the second waits for the entry's lock, then finds the nonce
    recorded and answers with the first's record."""
    entry = EntryFactory()
    [client] = phones(1)
    nonce, at = uuid.uuid4(), timezone.now() - datetime.timedelta(minutes=3)

    results = run_at_once(2, lambda i: upload(client, entry, at=at, nonce=nonce, device="Gate A"))

    assert [r["outcome"] for r in results] == ["checked_in", "checked_in"], results
    assert GateScan.objects.count() == 1
    assert Entry.objects.get(pk=entry.pk).checked_in_at == at


def test_a_retry_waiting_on_the_lock_takes_the_first_uploads_record():
    """The same, with the first upload's transaction held open until the retry waits for the lock: the race
    is met for certain, not by chance."""
    entry = EntryFactory()
    [client] = phones(1)
    nonce, at = uuid.uuid4(), timezone.now() - datetime.timedelta(minutes=3)
    scan = services.QueuedScan(nonce=nonce, entry_id=entry.pk, scanned_at=at)
    event = entry.session.event
    first, second, waited = while_held_open(
        lambda: services.gate_sync(event=event, scans=[scan], by=None, device="Gate A"),
        lambda: upload(client, entry, at=at, nonce=nonce, device="Gate A"),
    )

    assert waited
    assert first[0].outcome == second["outcome"] == "checked_in"
    assert GateScan.objects.count() == 1


def test_one_nonce_raced_in_for_two_entries_is_recorded_once():
    """Not what a phone sends (a nonce is one scan of one entry), but what the unique index guards: the second
    upload waits on the index for the first's commit, is refused, runs again and answers with the first's record."""
    first_entry, second_entry = EntryFactory(), EntryFactory()
    event = first_entry.session.event
    second_entry = EntryFactory(session=first_entry.session)
    nonce, at = uuid.uuid4(), timezone.now() - datetime.timedelta(minutes=3)

    def record(entry):
        scan = services.QueuedScan(nonce=nonce, entry_id=entry.pk, scanned_at=at)
        return services.gate_sync(event=event, scans=[scan], by=None, device="Gate A")[0]

    first, second, waited = while_held_open(lambda: record(first_entry), lambda: record(second_entry))

    assert waited
    assert first.entry_id == second.entry_id == first_entry.pk
    assert GateScan.objects.get().entry_id == first_entry.pk
    assert Entry.objects.get(pk=second_entry.pk).checked_in_at is None
