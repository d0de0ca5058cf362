"""The gate's data about people (events/attention.py) by the privacy rules: the emergency contact and the attention
note never reach the public, other drivers or staff of other roles; the retention job erases them 30 days after
the event's last day and nothing else; the export holds them; the privacy page and the map say so."""

from __future__ import annotations

import datetime
import json
import zipfile
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.attention import AttentionNote, EmergencyContact
from events.models import Entry
from portal.privacy.datamap import BY_LABEL
from portal.privacy.retention import retention_run
from portal.privacy.schema import Erase
from register.services import user_delete
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory, organiser, treasurer

pytestmark = pytest.mark.django_db

NAME, PHONE, E164, NOTE = (
    "Erika Qz9 Mustermann",
    "+49 171 7654321",
    "+491717654321",
    "Qz9 first time on the Nordschleife",
)
SECRETS = (NAME, "Qz9", PHONE, E164, "171 7654321", "1717654321")


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def published():
    """A published roster whose driver shows their name, with an emergency contact and an attention note."""
    session = SessionFactory(event__roster_published=True, name="Nordschleife convoy")
    entry = EntryFactory(session=session, car__nickname="Ember")
    entry.driver.show_name_publicly = True
    entry.driver.save()
    EmergencyContact.objects.create(entry=entry, name=NAME, phone=E164)
    services.attention_flag(entry=entry, by=organiser(), note=NOTE)
    return entry


def assert_none_of_it(content: bytes, where: str) -> None:
    text = content.decode()
    for secret in SECRETS:
        assert secret not in text, (where, secret)


def test_the_public_roster_its_downloads_and_other_drivers_see_none_of_it(published):
    event = published.session.event
    other_driver = EntryFactory(session=published.session).driver
    urls = [
        event.get_absolute_url(),
        reverse("events:roster", args=[event.slug]),
        reverse("events:roster", args=[event.slug]) + "?find=ember",
        reverse("events:roster_json", args=[event.slug]),
        reverse("events:roster_csv", args=[event.slug]),
        reverse("events:calendar", args=[event.slug]),
        reverse("car_detail", args=[published.car.register_number]),
        "/",
    ]
    for user in (None, other_driver, treasurer()):
        visitor = client_of(user)
        for url in urls:
            response = visitor.get(url, follow=True)
            assert response.status_code == 200, url
            assert_none_of_it(response.content, url)
    # The roster does show the entry (so the test would see a leak): the car and the driver's public name.
    roster = client_of(None).get(reverse("events:roster_json", args=[event.slug])).content.decode()
    assert "Ember" in roster and published.driver.display_name in roster
    other = client_of(other_driver)
    for url in (reverse("events:my_entries"), reverse("events:ticket", args=[published.pk])):
        assert_none_of_it(other.get(url).content, url)


def test_the_organiser_sees_it_at_the_gate_and_in_the_admin(published):
    event = published.session.event
    staff = client_of(organiser())

    gate = staff.get(reverse("events:check_in", args=[event.slug]) + f"?entry={published.pk}").content.decode()
    listed = staff.get(reverse("events:check_in_list", args=[event.slug])).content.decode()
    admin = staff.get(f"/admin/events/entry/{published.pk}/change/").content.decode()

    for page in (gate, listed, admin):
        assert NAME in page and PHONE in page
    assert NOTE in gate and NOTE in listed and NOTE in admin


def test_the_driver_sees_their_contact_but_not_the_organisers_note(published):
    page = client_of(published.driver).get(reverse("events:my_entries")).content.decode()

    assert NAME in page and PHONE in page
    assert NOTE not in page


# --- retention ------------------------------------------------------------------------------------------------


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def gate_data(ends_on: datetime.date) -> Entry:
    event = EventFactory(starts_on=ends_on - datetime.timedelta(days=1), ends_on=ends_on)
    entry = EntryFactory(session=SessionFactory(event=event))
    EmergencyContact.objects.create(entry=entry, name=f"Contact of {ends_on}", phone=E164)
    AttentionNote.objects.create(entry=entry, note=f"Note of {ends_on}")
    return entry


def test_the_retention_job_erases_the_gate_data_30_days_after_the_events_last_day(settings):
    settings.GATE_DATA_KEPT_DAYS = 30
    june = datetime.date(2031, 6, 1)
    due, kept = gate_data(june), gate_data(june + datetime.timedelta(days=1))

    # 1 June + 30 days: to the end of 1 July, Berlin time, it is kept.
    assert retention_run(now=at(datetime.date(2031, 7, 1), 23, 59)).counts["gate_data"] == 0
    assert EmergencyContact.objects.count() == AttentionNote.objects.count() == 2

    run = retention_run(now=at(datetime.date(2031, 7, 2), 0, 0))

    assert run.counts["gate_data"] == 2
    assert set(EmergencyContact.objects.values_list("entry_id", flat=True)) == {kept.pk}
    assert set(AttentionNote.objects.values_list("entry_id", flat=True)) == {kept.pk}
    assert Entry.objects.filter(pk=due.pk).exists()  # the entry stays: the car's history
    assert retention_run(now=at(datetime.date(2031, 7, 2), 12, 0)).counts["gate_data"] == 0


def test_the_limit_is_a_setting(settings):
    settings.GATE_DATA_KEPT_DAYS = 7
    entry = gate_data(datetime.date(2031, 6, 1))

    retention_run(now=at(datetime.date(2031, 6, 8), 23, 0))
    assert EmergencyContact.objects.filter(entry=entry).exists()
    retention_run(now=at(datetime.date(2031, 6, 9), 1, 0))
    assert not EmergencyContact.objects.filter(entry=entry).exists()


# --- the map, the export, the privacy page ----------------------------------------------------------------------


def test_the_map_deletes_both_with_the_person_and_names_the_gate_as_purpose():
    for label, fields in (("events.EmergencyContact", ("name", "phone")), ("events.AttentionNote", ("note",))):
        record = BY_LABEL[label]
        assert set(record.personal) == set(fields)
        assert {(p.purpose, p.erase) for p in record.personal.values()} == {("gate", Erase.DELETE)}


def test_download_my_data_holds_the_contacts_and_notes_of_the_persons_entries(client, published):
    EntryFactory(session=published.session)  # another driver's entry, with a contact of its own
    other = EmergencyContact.objects.create(entry=Entry.objects.exclude(pk=published.pk).get(), name="X", phone=E164)
    client.force_login(published.driver)

    archive = zipfile.ZipFile(BytesIO(client.post(reverse("my_data")).content))

    data = json.loads(archive.read("data.json"))
    [contact] = data["records"]["events.EmergencyContact"]
    assert (contact["name"], contact["phone"]) == (NAME, E164)
    assert data["records"]["events.AttentionNote"][0]["note"] == NOTE
    assert other.name not in [c["name"] for c in data["records"]["events.EmergencyContact"]]
    assert NAME in archive.read("index.html").decode()


def test_erasing_the_person_erases_their_contacts(published):
    driver = published.driver
    other = EntryFactory()
    EmergencyContact.objects.create(entry=other, name="Kept Contact", phone=E164)

    user_delete(user=driver)

    assert list(EmergencyContact.objects.values_list("name", flat=True)) == ["Kept Contact"]
    assert not AttentionNote.objects.filter(entry=published).exists()


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("en", ["Emergency contacts you gave", "emergency contact’s phone number", "30 days after the event’s last"]),
        ("de", ["Deine Notfallkontakte", "Telefonnummer des Notfallkontakts", "30 Tage nach dem letzten Tag"]),
    ],
)
def test_the_privacy_page_lists_the_gate_data(client, settings, language, texts):
    settings.GATE_DATA_KEPT_DAYS = 30
    client.cookies["django_language"] = language

    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE=language).content.decode().replace("&#x27;", "’")

    for text in texts:
        assert text.replace("’", "'") in page.replace("’", "'"), text


def test_a_stranger_gets_nothing_through_the_contact_page(published):
    url = reverse("events:emergency_contact", args=[published.pk])

    for user in (UserFactory(), treasurer(), organiser()):
        response = client_of(user).get(url)
        assert response.status_code == 404
        assert_none_of_it(response.content, url)
