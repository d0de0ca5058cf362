"""The gate's scans as organisers read them in the admin: the list of every scan (filtered by outcome and
event) and each entry's scans on its change page; nobody adds, changes or deletes one there."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from events import services
from events.models import GateScan
from tests.factories import EntryFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scans(organiser):
    session = SessionFactory(event__name="Gathering 2031")
    entry = EntryFactory(session=session, car__nickname="Shadow")
    services.entry_check_in(entry=entry, by=organiser)
    now = timezone.now()  # after the check-in: a duplicate
    queued = [
        services.QueuedScan(nonce=uuid.uuid4(), entry_id=entry.pk, scanned_at=now),
        services.QueuedScan(
            nonce=uuid.uuid4(), entry_id=EntryFactory(status="cancelled", slot=None).pk, scanned_at=now
        ),
    ]
    services.gate_sync(event=session.event, scans=queued, by=organiser, device="Gate B")
    return entry


def test_organisers_may_only_view_scans(organiser):
    assert organiser.has_perm("events.view_gatescan")
    assert not any(organiser.has_perm(f"events.{verb}_gatescan") for verb in ("add", "change", "delete"))


def test_scan_list_shows_every_scan_and_filters_by_outcome_and_event(organiser_client, scans):
    page = organiser_client.get("/admin/events/gatescan/").content.decode()
    duplicates = organiser_client.get("/admin/events/gatescan/?outcome=duplicate")
    of_event = organiser_client.get(f"/admin/events/gatescan/?event__id__exact={scans.session.event_id}")

    assert page.count("Gate B") == 2
    assert "the check-in page" in page
    assert [(s.outcome, s.device) for s in duplicates.context["cl"].result_list] == [("duplicate", "Gate B")]
    assert len(of_event.context["cl"].result_list) == 3
    assert organiser_client.get("/admin/events/gatescan/add/").status_code == 403


def test_entry_change_page_lists_its_scans(organiser_client, scans):
    page = organiser_client.get(f"/admin/events/entry/{scans.pk}/change/").content.decode()

    assert "Scans at the gate" in page
    assert page.count("Gate B") == 1
    assert "Duplicate" in page
    assert GateScan.objects.filter(entry=scans).count() == 2
