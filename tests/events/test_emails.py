from __future__ import annotations

import pytest

from events.models import Session
from events.services import (
    EntryError,
    entry_cancel,
    entry_create,
    entry_move_to_waitlist,
    session_set_capacity,
)
from outbox.models import Message
from tests.factories import CarFactory, SessionFactory, UserFactory, VerifiedCarFactory, organiser, owners_with_cars

pytestmark = pytest.mark.django_db


def signup(session, car, **kwargs):
    return entry_create(session=session, car=car, driver=car.owner, **kwargs)


def html(message) -> str:
    (content, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return content


def test_confirmed_email_of_convoy_names_the_slot(mailoutbox, deliver_mail):
    session = SessionFactory(name="Nordschleife convoy", capacity=5, event__name="Gathering 2031")
    first, second = owners_with_cars(2)
    signup(session, first)
    deliver_mail()
    mailoutbox.clear()

    signup(session, second)

    [message] = deliver_mail()
    assert message.to == [second.owner.email]
    assert message.subject == "[1M Register] Confirmed: Nordschleife convoy, slot 2"
    assert "Your slot in the convoy: 2." in message.body
    assert "has a place in Nordschleife convoy at Gathering 2031." in message.body
    assert "Your slot in the convoy: 2." in html(message)


def test_confirmed_email_of_track_session_has_no_slot(mailoutbox, deliver_mail):
    session = SessionFactory(name="GP circuit", kind=Session.Kind.TRACK, capacity=5)

    signup(session, VerifiedCarFactory())

    [message] = deliver_mail()
    assert message.subject == "[1M Register] Confirmed: GP circuit"
    assert "slot" not in message.body
    assert "slot" not in html(message)


def test_confirmed_email_lists_confirmed_requirements(mailoutbox, deliver_mail):
    session = SessionFactory(requirements="Helmet & licence")

    signup(session, VerifiedCarFactory(), requirements_confirmed=True)

    [message] = deliver_mail()
    assert "You confirmed these requirements:\nHelmet & licence" in message.body
    assert "Helmet &amp; licence" in html(message)


def test_waitlisted_email_gives_position(mailoutbox, deliver_mail):
    session = SessionFactory(name="Nordschleife convoy", capacity=1)
    first, second, third = owners_with_cars(3)
    signup(session, first)
    signup(session, second)
    deliver_mail()
    mailoutbox.clear()

    signup(session, third)

    [message] = deliver_mail()
    assert message.to == [third.owner.email]
    assert message.subject == "[1M Register] Waitlist position 2: Nordschleife convoy"
    assert "Your position on the waitlist: 2." in message.body
    assert "Your position on the waitlist: 2." in html(message)


def test_cancel_mails_the_driver_and_the_promoted_driver(mailoutbox, deliver_mail):
    session = SessionFactory(name="Nordschleife convoy", capacity=2)
    cars = owners_with_cars(3)
    a, _b, c = (signup(session, car) for car in cars)
    deliver_mail()
    mailoutbox.clear()

    entry_cancel(entry=a, by=a.driver)

    cancelled, promoted = deliver_mail()
    assert (cancelled.to, cancelled.subject) == (
        [a.driver.email],
        "[1M Register] Entry cancelled: Nordschleife convoy",
    )
    assert "is cancelled." in cancelled.body
    assert (promoted.to, promoted.subject) == ([c.driver.email], "[1M Register] You have a place: Nordschleife convoy")
    assert "Your slot in the convoy: 3." in promoted.body


def test_capacity_raise_mails_each_promoted_driver(mailoutbox, deliver_mail):
    session = SessionFactory(capacity=1)
    entries = [signup(session, car) for car in owners_with_cars(4)]
    deliver_mail()
    mailoutbox.clear()

    session_set_capacity(session=session, capacity=3, by=organiser())

    deliver_mail()
    assert [m.to for m in mailoutbox] == [[entries[1].driver.email], [entries[2].driver.email]]
    assert "Your slot in the convoy: 2." in mailoutbox[0].body
    assert "Your slot in the convoy: 3." in mailoutbox[1].body


def test_move_to_waitlist_mails_position(mailoutbox, deliver_mail):
    session = SessionFactory(capacity=1)
    confirmed = signup(session, VerifiedCarFactory())
    deliver_mail()
    mailoutbox.clear()

    entry_move_to_waitlist(entry=confirmed, by=organiser())

    [message] = deliver_mail()
    assert "Waitlist position 1:" in message.subject


def test_refused_signup_queues_nothing():
    session = SessionFactory()

    with pytest.raises(EntryError):
        entry_create(session=session, car=VerifiedCarFactory(), driver=UserFactory())

    assert list(Message.objects.all()) == []


def test_email_shows_masked_vin_and_unescaped_nickname_in_text(mailoutbox, deliver_mail):
    session = SessionFactory()
    car = CarFactory(nickname="Ringo's")  # pending: no register number, so the masked VIN names it

    signup(session, car)

    [message] = deliver_mail()
    assert f"{car.vin_masked} Ringo's" in message.body
    assert "Ringo&#x27;s" in html(message)
    assert car.vin not in message.body
    assert car.vin not in html(message)
