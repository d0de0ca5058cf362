"""Messages to entrants: write, preview with the number of recipients, send through the outbox; kept."""

from __future__ import annotations

import datetime

import pytest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import EntrantMessage, Entry, Session
from outbox.models import Message
from tests.factories import EntryFactory, EventFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory(name="Gathering 2031")
    saturday = SessionFactory(event=event, name="Nordschleife convoy", capacity=5)
    sunday = SessionFactory(event=event, name="GP circuit", capacity=5)
    for session in (saturday, sunday):
        for slot in (1, 2):
            EntryFactory(session=session, slot=slot, car__owner__display_name=f"{session.name} {slot}")
    EntryFactory(session=saturday, status=Entry.Status.WAITLISTED, slot=None, car__owner__display_name="Waiting")
    EntryFactory(session=saturday, status=Entry.Status.CANCELLED, slot=None, car__owner__display_name="Gone")
    return event


def url(event) -> str:
    return reverse("admin:events_event_message", args=[event.pk])


def form(session=None, waitlisted=False, **extra):
    data = {"subject": "Gate opens at 7:30", "body": "Bring your ticket.\nSee you!", **extra}
    if session is not None:
        data["session"] = session.pk
    if waitlisted:
        data["include_waitlisted"] = "on"
    return data


def test_the_form_has_the_admins_form_styles(organiser_client, event):
    # Without them the labels, fields and checkbox ran together unspaced (a page of its own, not a change form).
    page = organiser_client.get(url(event)).content.decode()

    assert f'<link rel="stylesheet" href="{static("admin/css/forms.css")}">' in page


def test_preview_counts_recipients_and_sends_nothing(organiser_client, event):
    response = organiser_client.post(url(event), {**form(), "preview": "Preview"})

    page = response.content.decode()
    assert "This message goes to 4 drivers." in page
    assert "Send to 4 drivers" in page
    assert not EntrantMessage.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("session_name", "waitlisted", "names"),
    [
        (None, False, ["GP circuit 1", "GP circuit 2", "Nordschleife convoy 1", "Nordschleife convoy 2"]),
        ("GP circuit", False, ["GP circuit 1", "GP circuit 2"]),
        ("Nordschleife convoy", True, ["Nordschleife convoy 1", "Nordschleife convoy 2", "Waiting"]),
    ],
)
def test_send_reaches_the_chosen_drivers_once_and_keeps_the_message(
    organiser_client, organiser, event, deliver_mail, session_name, waitlisted, names
):
    session = event.sessions.get(name=session_name) if session_name else None

    response = organiser_client.post(url(event), {**form(session, waitlisted), "send": "Send"})

    message = EntrantMessage.objects.get()
    assert response["Location"] == reverse("admin:events_entrantmessage_change", args=[message.pk])
    assert message.sent_by == organiser
    assert sorted(r.user.display_name for r in message.recipients.all()) == names
    delivered = deliver_mail()
    assert len(delivered) == len(names)
    assert delivered[0].subject == "[1M Register] Gathering 2031: Gate opens at 7:30"
    assert "Bring your ticket.\nSee you!" in delivered[0].body
    kept = organiser_client.get(response["Location"]).content.decode()
    assert "Gate opens at 7:30" in kept
    for recipient in message.recipients.all():
        assert recipient.email in kept


def test_empty_subject_or_text_is_a_field_error_and_sends_nothing(organiser_client, event):
    response = organiser_client.post(url(event), {"subject": "  ", "body": "", "send": "Send"})

    page = response.content.decode()
    assert page.count('class="errorlist') >= 2
    assert not EntrantMessage.objects.exists()


def test_session_of_another_event_is_refused(organiser_client, event):
    other = SessionFactory()

    response = organiser_client.post(url(event), {**form(), "session": other.pk, "send": "Send"})

    assert "Select a valid choice" in response.content.decode()
    assert not EntrantMessage.objects.exists()


@pytest.mark.parametrize("session", ["²", "abc"])
def test_message_form_with_a_bad_session_in_the_address_starts_empty(organiser_client, event, session):
    response = organiser_client.get(url(event), {"session": session})

    assert response.status_code == 200
    assert response.context["form"]["session"].value() is None


def test_message_reaching_nobody_is_refused():
    empty = EventFactory()

    with pytest.raises(services.EntryError, match="Nobody would get this message"):
        services.entrant_message_send(
            event=empty, session=None, include_waitlisted=True, subject="Hi", body="Hello", by=None
        )


def test_owner_cannot_open_the_message_form(client, event):
    client.force_login(UserFactory())

    assert client.get(url(event)).status_code == 302  # to the admin login


# --- nothing for a session that is over ---------------------------------------------------------------------


def end(*sessions):
    """The sessions ended an hour ago."""
    ended = timezone.now() - datetime.timedelta(hours=1)
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(
        starts_at=ended - datetime.timedelta(hours=2), ends_at=ended
    )


def test_message_to_a_session_that_is_over_is_refused_at_the_preview(organiser_client, event):
    saturday = event.sessions.get(name="Nordschleife convoy")
    end(saturday)

    response = organiser_client.post(url(event), {**form(saturday), "preview": "Preview"})

    page = response.content.decode()
    assert "This session is over: no message goes to its drivers." in page
    assert "This message goes to" not in page
    assert not Message.objects.exists()


def test_message_to_an_event_whose_sessions_are_all_over_is_refused(organiser_client, event):
    end(*event.sessions.all())

    response = organiser_client.post(url(event), {**form(), "send": "Send"})

    assert "Every session of this event is over: no message goes to its drivers." in response.content.decode()
    assert not EntrantMessage.objects.exists()
    assert not Message.objects.exists()


def test_message_to_the_event_reaches_only_the_drivers_of_sessions_not_over(organiser_client, event, deliver_mail):
    end(event.sessions.get(name="Nordschleife convoy"))

    organiser_client.post(url(event), {**form(waitlisted=True), "send": "Send"})

    message = EntrantMessage.objects.get()
    assert sorted(r.user.display_name for r in message.recipients.all()) == ["GP circuit 1", "GP circuit 2"]
    assert len(deliver_mail()) == 2


@pytest.mark.parametrize("whole_event", [False, True])
def test_message_service_refuses_a_session_that_is_over(event, whole_event):
    end(*event.sessions.all())
    session = None if whole_event else event.sessions.first()

    with pytest.raises(services.EntryError, match="is over: no message goes to its drivers."):
        services.entrant_message_send(
            event=event, session=session, include_waitlisted=True, subject="Hi", body="Hello", by=None
        )

    assert not Message.objects.exists()
