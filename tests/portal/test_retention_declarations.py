"""The retention job and the declarations: passengers' names 30 days after the event, signatures' names, drawings
and PDFs after the limitation period (the end of the event's year plus ``DECLARATIONS_KEPT_YEARS``), the hash
kept; what is not yet due stays."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from events.declaration_pdf import signature_png
from events.models import DeclarationSignature, Passenger
from events.services import passenger_name
from portal.privacy.retention import retention_run
from register.models import private_storage
from tests.events.declaring import data_url, published, sign
from tests.factories import EntryFactory, EventFactory, SessionFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DECLARATIONS_KEPT_YEARS = 3
    settings.PASSENGER_NAMES_KEPT = 30 * DAY


def signed_entry(ends_on: datetime.date):
    """An entry of an event ending on ``ends_on``, signed (drawn) with a passenger named, as it was before."""
    event = EventFactory(starts_on=timezone.localdate() + 5 * DAY, ends_on=timezone.localdate() + 6 * DAY)
    entry = EntryFactory(session=SessionFactory(event=event, declaration_required=True))
    passenger_name(entry=entry, name="Pia Passenger", by=entry.driver)
    signature = sign(entry, published(event), name="Dana Driver", image=signature_png(data_url()))
    type(event).objects.filter(pk=event.pk).update(starts_on=ends_on - DAY, ends_on=ends_on)  # then it took place
    return entry, signature


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(4, 0)))


def test_a_passengers_name_goes_30_days_after_the_event_and_not_before():
    ended = datetime.date(2030, 9, 21)
    entry, _signature = signed_entry(ended)

    assert retention_run(now=at(ended + 30 * DAY)).counts["passenger_names"] == 0
    assert Passenger.objects.get(entry=entry).name == "Pia Passenger"
    assert retention_run(now=at(ended + 31 * DAY)).counts["passenger_names"] == 1
    assert Passenger.objects.get(entry=entry).name == ""
    assert retention_run(now=at(ended + 32 * DAY)).counts["passenger_names"] == 0


def test_signatures_go_after_the_limitation_period_and_their_hash_stays(django_capture_on_commit_callbacks):
    old_entry, old = signed_entry(datetime.date(2025, 9, 21))
    _kept_entry, kept = signed_entry(datetime.date(2026, 9, 20))
    files = (old.image.name, old.pdf.name)

    # 2025 with 3 years: kept to the end of 2028, emptied from 1 January 2029; 2026's stays to the end of 2029.
    assert retention_run(now=at(datetime.date(2028, 12, 31))).counts["declarations"] == 0
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the run has committed
        run = retention_run(now=at(datetime.date(2029, 1, 1)))

    assert run.counts["declarations"] == 1
    old.refresh_from_db()
    assert (old.name, old.image.name, old.pdf.name) == ("", "", "")
    assert old.sha256 and old.version.number == 1 and old.signed_at
    assert not any(private_storage.exists(name) for name in files)
    kept.refresh_from_db()
    assert kept.name == "Dana Driver" and private_storage.exists(kept.pdf.name)
    assert DeclarationSignature.objects.count() == 2
