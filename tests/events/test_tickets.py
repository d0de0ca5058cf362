"""Tickets: random token and short code, the ticket page for driver and owner only, the QR in the email."""

from __future__ import annotations

import base64
import datetime
import email

import pytest
from django.urls import reverse
from django.utils import timezone

from events import tickets
from events.models import Entry
from events.services import entry_cancel, entry_check_in, entry_create
from register.models import Claim
from register.services import car_register, claim_approve
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory, colour, make_vin

pytestmark = pytest.mark.django_db


def test_every_entry_gets_its_own_random_token_and_code():
    first, second = EntryFactory(), EntryFactory()

    assert first.ticket_token != second.ticket_token
    assert first.ticket_code != second.ticket_code
    # 32 random bytes, URL-safe base64 (whether a short id happens to occur in it says nothing).
    assert len(base64.urlsafe_b64decode(first.ticket_token + "=")) == 32
    assert set(first.ticket_code) <= set(tickets.CODE_ALPHABET)
    assert len(first.ticket_code) == 8


@pytest.mark.parametrize(("typed", "stored"), [("abcd-efgh", "ABCDEFGH"), (" ab cd\tefgh ", "ABCDEFGH"), ("", "")])
def test_normalise_code_accepts_what_people_type(typed, stored):
    assert tickets.normalise_code(typed) == stored


def test_ticket_page_shows_car_slot_code_and_qr_to_driver(client):
    entry = EntryFactory(
        slot=7,
        car__nickname="Orange Peel",
        session__name="Nordschleife convoy",
        session__starts_at=datetime.datetime(2031, 9, 20, 7, 30, tzinfo=datetime.UTC),
        session__event__venue="Nürburgring",
    )
    client.force_login(entry.driver)

    response = client.get(reverse("events:ticket", args=[entry.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nordschleife convoy" in page
    assert "Slot 7" in page
    # A driver from abroad reads the time in the track's zone, and is told so, as on every other page.
    assert "Saturday 20 September 2031, 09:30</time> (Europe/Berlin), Nürburgring" in page
    assert f"#{entry.car.register_number}" in page
    assert "Orange Peel" in page
    assert entry.ticket_code_display in page
    assert page.count("<svg") == 1
    assert f"/events/my-entries/{entry.pk}/ticket/" in client.get(reverse("events:my_entries")).content.decode()


def test_ticket_page_in_german_quotes_the_nickname_the_german_way(client):
    entry = EntryFactory(car__nickname="Orange Peel")
    entry.driver.language = "de"
    entry.driver.save()
    client.force_login(entry.driver)

    page = client.get(reverse("events:ticket", args=[entry.pk])).content.decode()

    assert "„Orange Peel“" in page
    assert "“Orange Peel”" not in page


def test_ticket_page_is_shown_to_the_cars_owner_who_does_not_drive(client):
    entry = EntryFactory()
    driver = UserFactory()
    Entry.objects.filter(pk=entry.pk).update(driver=driver)
    client.force_login(entry.car.owner)

    assert client.get(reverse("events:ticket", args=[entry.pk])).status_code == 200


@pytest.fixture
def sold_car(organiser):
    """A car its first owner signed up three times (a past run they drove and were checked in at, a past run
    a friend drove, an upcoming run they drive), then sold: a claim by the new owner, approved."""
    first, friend, new = UserFactory(), UserFactory(), UserFactory()
    car = car_register(owner=first, vin=make_vin(811), colour=colour(), market="DE")
    past = SessionFactory(starts_at=timezone.now() - datetime.timedelta(days=30))
    driven = EntryFactory(car=car, driver=first, session=past)
    entry_check_in(entry=driven, by=organiser)
    lent = EntryFactory(car=car, driver=friend, session=SessionFactory(starts_at=past.starts_at))
    upcoming = EntryFactory(car=car, driver=first)
    claim_approve(claim=Claim.objects.create(car=car, claimant=new, message="Bought it."), by=organiser)
    return {"first": first, "friend": friend, "new": new, "car": car, "entries": [driven, lent, upcoming]}


@pytest.mark.parametrize("index", [0, 1, 2], ids=["checked-in", "lent", "upcoming-cancelled"])
def test_ticket_page_of_an_entry_made_before_the_sale_is_404_for_the_new_owner(client, sold_car, index):
    client.force_login(sold_car["new"])

    response = client.get(reverse("events:ticket", args=[sold_car["entries"][index].pk]))

    assert response.status_code == 404


def test_my_entries_of_the_new_owner_lists_only_entries_made_since_the_sale(client, sold_car):
    # The new owner's own sign-up, driven by someone else: theirs, as the car was theirs when it was made.
    mine = EntryFactory(car=sold_car["car"], driver=UserFactory(), session__name="After the sale")
    client.force_login(sold_car["new"])

    response = client.get(reverse("events:my_entries"))

    assert list(response.context["entries"]) == [mine]
    assert client.get(reverse("events:ticket", args=[mine.pk])).status_code == 200


@pytest.mark.parametrize(
    ("person", "index"),
    [("first", 0), ("first", 1), ("first", 2), ("friend", 1)],
    ids=["owner-drove", "owner-lent", "owner-upcoming", "friend-drove"],
)
def test_ticket_page_of_an_entry_made_before_the_sale_is_still_shown_to_its_owner_then_and_driver(
    client, sold_car, person, index
):
    entry = sold_car["entries"][index]
    client.force_login(sold_car[person])

    response = client.get(reverse("events:ticket", args=[entry.pk]))

    assert response.status_code == 200
    assert response.context["entry"] == entry


def test_my_entries_of_the_previous_owner_still_lists_the_entries_they_drove(client, sold_car):
    driven, _lent, upcoming = sold_car["entries"]
    client.force_login(sold_car["first"])

    response = client.get(reverse("events:my_entries"))

    assert list(response.context["entries"]) == [upcoming, driven]
    assert "Checked in at" in client.get(reverse("events:ticket", args=[driven.pk])).content.decode()


NEVER_STORED = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.mark.parametrize("page", ["ticket", "my_entries"])
def test_ticket_and_my_entries_are_never_stored(client, page):
    entry = EntryFactory()
    client.force_login(entry.driver)
    url = reverse("events:ticket", args=[entry.pk]) if page == "ticket" else reverse("events:my_entries")

    response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == NEVER_STORED


@pytest.mark.parametrize("method", ["get", "get-search", "get-code", "post"])
def test_check_in_pages_are_never_stored(organiser_client, method):
    entry = EntryFactory()
    slug = entry.session.event.slug
    page = reverse("events:check_in", args=[slug])

    if method == "post":
        response = organiser_client.post(reverse("events:check_in_entry", args=[slug, entry.pk]))
    else:
        query = {"get": "", "get-search": "?q=x", "get-code": f"?code={entry.ticket_token}"}[method]
        response = organiser_client.get(page + query)

    assert response.status_code == (302 if method == "post" else 200)
    assert response["Cache-Control"] == NEVER_STORED


def test_ticket_page_of_someone_else_is_404(client):
    entry = EntryFactory()
    client.force_login(UserFactory())

    assert client.get(reverse("events:ticket", args=[entry.pk])).status_code == 404


def test_ticket_page_anonymous_goes_to_login(client):
    entry = EntryFactory()

    response = client.get(reverse("events:ticket", args=[entry.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("status", "text"),
    [(Entry.Status.WAITLISTED, "on the waitlist, so it has no valid ticket"), (Entry.Status.CANCELLED, "cancelled")],
)
def test_ticket_page_of_inactive_entry_has_no_qr_or_code(client, status, text):
    entry = EntryFactory(status=status, slot=None)
    client.force_login(entry.driver)

    page = client.get(reverse("events:ticket", args=[entry.pk])).content.decode()

    assert text in page
    assert "<svg" not in page
    assert entry.ticket_code_display not in page


def test_confirmation_email_carries_ticket_link_code_and_inline_qr(deliver_mail, settings):
    settings.SITE_URL = "https://register.example.org"
    session = SessionFactory(capacity=5)
    car = VerifiedCarFactory()

    entry = entry_create(session=session, car=car, driver=car.owner)

    [message] = deliver_mail()
    url = f"https://register.example.org/events/my-entries/{entry.pk}/ticket/"
    assert url in message.body
    assert entry.ticket_code_display in message.body
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed.get_content_type() == "multipart/related"
    [image] = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<ticket-qr>"
    assert 'src="cid:ticket-qr"' in message.alternatives[0][0]
    assert image.get_payload(decode=True) == tickets.qr_png(entry.ticket_token)


def test_waitlist_email_has_no_ticket(mailoutbox, deliver_mail):
    session = SessionFactory(capacity=0)
    car = VerifiedCarFactory()

    entry = entry_create(session=session, car=car, driver=car.owner)

    [message] = deliver_mail()
    assert entry.ticket_code_display not in message.body
    assert message.attachments == []


def test_promotion_email_carries_the_ticket(mailoutbox, deliver_mail):
    session = SessionFactory(capacity=1)
    first, second = VerifiedCarFactory(), VerifiedCarFactory()
    taken = entry_create(session=session, car=first, driver=first.owner)
    waiting = entry_create(session=session, car=second, driver=second.owner)
    deliver_mail()
    mailoutbox.clear()

    entry_cancel(entry=taken, by=first.owner)

    promoted = [m for m in deliver_mail() if m.to == [second.owner.email]]
    assert len(promoted) == 1
    assert waiting.ticket_code_display in promoted[0].body
