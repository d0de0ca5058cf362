"""The emergency contact a driver gives at sign-up and changes in "My entries", and an organiser's attention note:
the forms' messages next to the fields, the services' rules, the entry admin, and the gate (online result, the
phone's list and its cursor)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.attention import AttentionNote, EmergencyContact
from events.models import Entry
from events.services.attention import emergency_contact_save
from tests.events.test_gate_list import _written_minutes_ago
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory, organiser, treasurer

pytestmark = pytest.mark.django_db

ENTRY_LIST = "/admin/events/entry/"


@pytest.fixture
def session():
    return SessionFactory(name="Nordschleife convoy", capacity=10)


def signup_url(session) -> str:
    return reverse("events:signup", args=[session.event.slug, session.slug])


def signup(client, session, car, **fields):
    return client.post(signup_url(session), {"car": car.pk, "token": "t" * 16 + str(car.pk), **fields})


def field_errors(response, session, name) -> list[str]:
    form = next(s.signup_form for s in response.context["sessions"] if s.pk == session.pk)
    return form.errors.get(name, [])


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- sign-up --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+49 171 1234567", "+491711234567"),
        ("0171 1234567", "+491711234567"),  # read as German
        ("+31 6 12345678", "+31612345678"),
        ("+43 (664) 123-4567", "+436641234567"),
    ],
)
def test_sign_up_keeps_the_emergency_contact_in_international_form(owner_client, owner, session, typed, stored):
    car = VerifiedCarFactory(owner=owner)

    response = signup(owner_client, session, car, emergency_name="  Erika   Mustermann ", emergency_phone=typed)

    assert response.status_code == 302
    contact = Entry.objects.get(car=car).emergency_contact
    assert (contact.name, contact.phone.as_e164) == ("Erika Mustermann", stored)


def test_sign_up_without_an_emergency_contact_keeps_none(owner_client, owner, session):
    car = VerifiedCarFactory(owner=owner)

    signup(owner_client, session, car, emergency_name="", emergency_phone="")

    assert not EmergencyContact.objects.filter(entry__car=car).exists()
    assert Entry.objects.get(car=car).status == Entry.Status.CONFIRMED


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"emergency_name": "Erika", "emergency_phone": "call me maybe"}, "emergency_phone", "not a phone number"),
        ({"emergency_name": "Erika", "emergency_phone": "12345"}, "emergency_phone", "not a phone number"),
        ({"emergency_name": "Erika", "emergency_phone": "+44 7700 900123"}, "emergency_phone", "not a phone number"),
        ({"emergency_name": "Erika", "emergency_phone": "+49 171 " + "1" * 40}, "emergency_phone", "at most 30"),
        ({"emergency_name": "Erika", "emergency_phone": ""}, "emergency_phone", "phone number of your emergency"),
        ({"emergency_name": "", "emergency_phone": "+49 171 1234567"}, "emergency_name", "name of your emergency"),
        ({"emergency_name": "E" * 81, "emergency_phone": "+49 171 1234567"}, "emergency_name", "at most 80"),
        ({"emergency_name": "Erika\u0000", "emergency_phone": "+49 171 1234567"}, "emergency_name", "Null"),
    ],
)
def test_a_bad_emergency_contact_is_said_next_to_its_field_and_nothing_is_signed_up(
    owner_client, owner, session, fields, field, message
):
    car = VerifiedCarFactory(owner=owner)

    response = signup(owner_client, session, car, **fields)

    assert response.status_code == 200
    errors = field_errors(response, session, field)
    assert any(message in error for error in errors), errors
    page = response.content.decode()
    assert 'class="invalid-feedback' in page
    assert not Entry.objects.filter(car=car).exists()


def test_a_name_with_markup_is_kept_as_text_and_shown_escaped_at_the_gate(owner_client, owner, session, organiser):
    car = VerifiedCarFactory(owner=owner)
    signup(owner_client, session, car, emergency_name="<b>Erika</b>", emergency_phone="+49 171 1234567")
    entry = Entry.objects.get(car=car)
    assert entry.emergency_contact.name == "<b>Erika</b>"

    page = client_of(organiser).get(reverse("events:check_in", args=[session.event.slug]) + f"?entry={entry.pk}")

    html = page.content.decode()
    assert "&lt;b&gt;Erika&lt;/b&gt;" in html
    assert "<b>Erika</b>" not in html


def test_the_sign_up_form_offers_the_contact_given_last(owner_client, owner, session):
    earlier = EntryFactory(car=VerifiedCarFactory(owner=owner), driver=owner)
    EmergencyContact.objects.create(entry=earlier, name="Erika Mustermann", phone="+491711234567")
    VerifiedCarFactory(owner=owner)

    response = owner_client.get(session.event.get_absolute_url())

    form = response.context["sessions"][0].signup_form
    assert form["emergency_name"].value() == "Erika Mustermann"
    page = response.content.decode()
    assert 'value="Erika Mustermann"' in page
    assert 'value="0171 1234567"' in page  # a German number as Germans write it; a foreign one with its code
    assert 'autocomplete="tel"' in page


def test_a_double_post_of_the_form_keeps_one_contact(owner_client, owner, session):
    car = VerifiedCarFactory(owner=owner)
    fields = {"emergency_name": "Erika", "emergency_phone": "+49 171 1234567"}

    signup(owner_client, session, car, **fields)
    signup(owner_client, session, car, **fields)

    assert EmergencyContact.objects.filter(entry__car=car).count() == 1


# --- My entries -----------------------------------------------------------------------------------------------


def contact_url(entry) -> str:
    return reverse("events:emergency_contact", args=[entry.pk])


def test_my_entries_shows_the_drivers_own_contact_with_a_link_to_change_it(owner_client, owner, session):
    entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner))
    EmergencyContact.objects.create(entry=entry, name="Erika Mustermann", phone="+491711234567")

    page = owner_client.get(reverse("events:my_entries")).content.decode()

    assert "Erika Mustermann" in page and "+49 171 1234567" in page
    assert f'href="{contact_url(entry)}"' in page


def test_the_driver_changes_and_removes_the_contact_until_the_session_starts(owner_client, owner, session):
    entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner))

    response = owner_client.post(contact_url(entry), {"emergency_name": "Max", "emergency_phone": "+43 664 1234567"})
    assert response.status_code == 302
    assert str(EmergencyContact.objects.get(entry=entry).phone) == "+436641234567"

    bad = owner_client.post(contact_url(entry), {"emergency_name": "Max", "emergency_phone": "0000"})
    assert bad.status_code == 200
    assert "not a phone number" in bad.content.decode()
    assert str(EmergencyContact.objects.get(entry=entry).phone) == "+436641234567"

    owner_client.post(contact_url(entry), {"emergency_name": "", "emergency_phone": ""})
    assert not EmergencyContact.objects.filter(entry=entry).exists()

    session.starts_at = timezone.now() - datetime.timedelta(minutes=5)
    session.save()
    late = owner_client.post(contact_url(entry), {"emergency_name": "Max", "emergency_phone": "+43 664 1234567"})
    assert late.status_code == 302
    assert not EmergencyContact.objects.filter(entry=entry).exists()
    messages = [str(m) for m in late.wsgi_request._messages]
    assert messages[-1].startswith("This session has started")


def test_nobody_else_reaches_a_drivers_contact(client, owner, other_owner, session, organiser):
    entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner))
    EmergencyContact.objects.create(entry=entry, name="Erika Mustermann", phone="+491711234567")

    for user in (other_owner, organiser):
        response = client_of(user).get(contact_url(entry))
        assert response.status_code == 404
        post = client_of(user).post(contact_url(entry), {"emergency_name": "X", "emergency_phone": "+4930901820"})
        assert post.status_code == 404
    assert EmergencyContact.objects.get(entry=entry).name == "Erika Mustermann"
    assert "Erika" not in client_of(other_owner).get(reverse("events:my_entries")).content.decode()


def test_the_service_refuses_anyone_but_the_driver_and_an_entry_no_longer_active(owner, other_owner, session):
    entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner))
    contact = services.Contact("Max", "+436641234567")

    with pytest.raises(services.EntryError, match="Only the driver"):
        services.emergency_contact_set(entry=entry, by=other_owner, contact=contact)
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.CANCELLED, slot=None)
    with pytest.raises(services.EntryError, match="no longer active"):
        services.emergency_contact_set(entry=entry, by=owner, contact=contact)
    with pytest.raises(services.EntryError, match="phone number"):
        emergency_contact_save(entry, services.Contact("Max", "+44 7700 900123"))
    assert not EmergencyContact.objects.exists()


# --- attention notes ------------------------------------------------------------------------------------------


def test_only_organisers_flag_an_entry_and_the_note_is_checked(session, owner):
    entry = EntryFactory(session=session)
    staff = organiser()

    with pytest.raises(services.EntryError, match="organisers"):
        services.attention_flag(entry=entry, by=owner, note="first time")
    with pytest.raises(services.EntryError, match="organisers"):
        services.attention_flag(entry=entry, by=treasurer(), note="first time")
    with pytest.raises(services.EntryError, match="Write what"):
        services.attention_flag(entry=entry, by=staff, note="   ")
    with pytest.raises(services.EntryError, match="at most 200"):
        services.attention_flag(entry=entry, by=staff, note="x" * 201)

    services.attention_flag(entry=entry, by=staff, note=" first   time on the Nordschleife ")
    services.attention_flag(entry=entry, by=staff, note="passenger under 18")

    assert AttentionNote.objects.get(entry=entry).note == "passenger under 18"
    assert services.attention_clear(entry=entry, by=staff) is True
    assert services.attention_clear(entry=entry, by=staff) is False


def test_the_admin_action_asks_for_the_note_then_flags_each_entry(organiser_client, session):
    first, second = EntryFactory(session=session), EntryFactory(session=session)
    selected = {"action": "flag_attention", "_selected_action": [first.pk, second.pk]}

    ask = organiser_client.post(ENTRY_LIST, selected)
    assert ask.status_code == 200
    assert "Note for the gate" in ask.content.decode()
    empty = organiser_client.post(ENTRY_LIST, {**selected, "confirmed": "yes", "note": "  "})
    assert empty.status_code == 200
    assert not AttentionNote.objects.exists()

    note = "first time on the Nordschleife"
    done = organiser_client.post(ENTRY_LIST, {**selected, "confirmed": "yes", "note": note})

    assert done.status_code == 302
    assert sorted(AttentionNote.objects.values_list("entry_id", "note")) == [
        (first.pk, "first time on the Nordschleife"),
        (second.pk, "first time on the Nordschleife"),
    ]
    listed = organiser_client.get(ENTRY_LIST).content.decode()
    assert listed.count("⚠ first time on the Nordschleife") == 2

    organiser_client.post(ENTRY_LIST, {"action": "clear_attention", "_selected_action": [first.pk]})
    assert list(AttentionNote.objects.values_list("entry_id", flat=True)) == [second.pk]


def test_the_entry_page_edits_the_note_and_shows_the_contact_to_organisers(organiser_client, session):
    entry = EntryFactory(session=session)
    EmergencyContact.objects.create(entry=entry, name="Erika Mustermann", phone="+491711234567")
    url = f"{ENTRY_LIST}{entry.pk}/change/"

    page = organiser_client.get(url).content.decode()
    assert "Erika Mustermann" in page and 'href="tel:+491711234567"' in page

    organiser_client.post(url, {"slot": entry.slot, "attention_note": "passenger under 18: guardian must sign"})
    assert AttentionNote.objects.get(entry=entry).note == "passenger under 18: guardian must sign"
    assert 'value="passenger under 18: guardian must sign"' in organiser_client.get(url).content.decode()

    organiser_client.post(url, {"slot": entry.slot, "attention_note": ""})
    assert not AttentionNote.objects.filter(entry=entry).exists()
    assert Entry.objects.get(pk=entry.pk).slot == entry.slot


def test_a_treasurer_reads_the_entry_without_the_contact_or_the_note(session):
    entry = EntryFactory(session=session)
    EmergencyContact.objects.create(entry=entry, name="Erika Mustermann", phone="+491711234567")
    AttentionNote.objects.create(entry=entry, note="first time on the Nordschleife")
    client = client_of(treasurer())

    page = client.get(f"{ENTRY_LIST}{entry.pk}/change/")
    listed = client.get(ENTRY_LIST)

    assert page.status_code == listed.status_code == 200
    for text in ("Erika", "1711234567", "171 1234567", "first time on the Nordschleife"):
        assert text not in page.content.decode()
        assert text not in listed.content.decode()


# --- the gate -------------------------------------------------------------------------------------------------


@pytest.fixture
def flagged(session):
    entry = EntryFactory(session=session, car__nickname="Ember")
    EmergencyContact.objects.create(entry=entry, name="Erika Mustermann", phone="+491711234567")
    services.attention_flag(entry=entry, by=organiser(), note="first time on the Nordschleife")
    return entry


def test_the_online_result_shows_the_note_on_top_and_the_contact(organiser_client, flagged):
    url = reverse("events:check_in", args=[flagged.session.event.slug])

    for query in (f"?entry={flagged.pk}", f"?code={flagged.ticket_token}", "?q=ember"):
        page = organiser_client.get(url + query).content.decode()
        result = page[page.index('data-testid="checkin-result"') :]
        assert result.index("first time on the Nordschleife") < result.index('class="checkin-slot"')
        assert '<a class="checkin-emergency-phone text-nowrap" href="tel:+491711234567">+49 171 1234567</a>' in result
        assert "Erika Mustermann" in result


def test_an_entry_without_notes_shows_neither_piece(organiser_client, session):
    entry = EntryFactory(session=session)

    page = organiser_client.get(reverse("events:check_in", args=[session.event.slug]) + f"?entry={entry.pk}")

    html = page.content.decode()
    result = html[html.index('data-testid="checkin-result"') : html.index('id="scan-heading"')]
    assert "checkin-attention" not in result and "checkin-emergency" not in result


def test_the_gate_is_the_organisers_alone(client, owner, flagged):
    event = flagged.session.event
    for user in (None, owner, treasurer()):
        visitor = client_of(user) if user else Client()
        page = visitor.get(reverse("events:check_in", args=[event.slug]) + f"?entry={flagged.pk}")
        listed = visitor.get(reverse("events:check_in_list", args=[event.slug]))
        assert page.status_code in (302, 403)
        assert listed.status_code == 403
        for response in (page, listed):
            assert b"Erika" not in response.content and b"first time" not in response.content


def test_the_phones_list_carries_the_note_and_the_contact(organiser_client, flagged, session):
    plain = EntryFactory(session=session)

    data = organiser_client.get(reverse("events:check_in_list", args=[session.event.slug])).json()

    entries = {e["id"]: e for e in data["entries"]}
    assert entries[flagged.pk]["attention"] == "first time on the Nordschleife"
    assert entries[flagged.pk]["emergency"] == {
        "name": "Erika Mustermann",
        "phone": "+49 171 1234567",
        "tel": "+491711234567",
    }
    assert (entries[plain.pk]["attention"], entries[plain.pk]["emergency"]) == (None, None)


def test_a_note_or_contact_changed_after_the_download_comes_with_the_next_delta(organiser_client, session, owner):
    entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner))
    other = EntryFactory(session=session)
    url = reverse("events:check_in_list", args=[session.event.slug])
    _written_minutes_ago(10)
    cursor = organiser_client.get(url).json()["cursor"]

    def delta() -> dict[int, dict]:
        return {e["id"]: e for e in organiser_client.get(url, {"since": cursor}).json()["entries"]}

    assert delta() == {}
    services.attention_flag(entry=entry, by=organiser(), note="first time on the Nordschleife")
    assert delta()[entry.pk]["attention"] == "first time on the Nordschleife"
    assert other.pk not in delta()

    _written_minutes_ago(10)
    services.emergency_contact_set(entry=entry, by=owner, contact=services.Contact("Max", "+436641234567"))
    assert delta()[entry.pk]["emergency"]["phone"] == "+43 664 1234567"

    _written_minutes_ago(10)
    assert delta() == {}
    AttentionNote.objects.filter(entry=entry).delete()  # whoever deletes it: the trigger sees it
    assert delta()[entry.pk]["attention"] is None
    assert delta()[entry.pk]["emergency"]["name"] == "Max"


def test_a_stranger_does_not_learn_whom_the_driver_gave(client, flagged):
    stranger = client_of(UserFactory())

    for url in (
        reverse("events:my_entries"),
        flagged.session.event.get_absolute_url(),
        reverse("events:ticket", args=[flagged.pk]),
    ):
        response = stranger.get(url)
        assert b"Erika" not in response.content
