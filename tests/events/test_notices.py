"""Notices to drivers: the roster's publication, slot changes batched over ten quiet minutes, a promotion
and an organiser's cancellation; each through the outbox."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from events import services
from events.models import Entry, PendingNotice, Session
from tests.factories import EntryFactory, EventFactory, SessionFactory, organiser

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventFactory(name="Gathering 2031")


def convoy(event, count, name="Nordschleife convoy"):
    session = SessionFactory(event=event, name=name, capacity=count + 2)
    return session, [EntryFactory(session=session, slot=n) for n in range(1, count + 1)]


def mails_to(delivered, user) -> list:
    return [m for m in delivered if m.to == [user.email]]


def test_publishing_sends_each_confirmed_driver_one_email_with_all_their_slots(event, deliver_mail):
    saturday, cars = convoy(event, 3)
    sunday = SessionFactory(event=event, name="GP circuit", capacity=5)
    both = cars[0]
    EntryFactory(session=sunday, car=both.car, slot=4)
    waiting = EntryFactory(session=saturday, status=Entry.Status.WAITLISTED, slot=None)

    services.roster_publish(event=event)

    delivered = deliver_mail()
    assert sorted(m.to[0] for m in delivered) == sorted(e.driver.email for e in cars)
    [mail] = mails_to(delivered, both.driver)
    assert mail.subject == "[1M Register] Roster published: Gathering 2031"
    assert "Nordschleife convoy" in mail.body
    assert "slot 1" in mail.body
    assert "GP circuit" in mail.body
    assert both.ticket_code_display in mail.body
    assert mails_to(delivered, waiting.driver) == []
    images = [a for a in mail.attachments if a.get_content_type() == "image/png"]
    assert len(images) == 2


def test_publishing_again_sends_nothing(event, deliver_mail, mailoutbox):
    convoy(event, 2)
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()

    services.roster_publish(event=event)

    assert deliver_mail() == []


def test_slot_changes_before_publication_notify_nobody(event):
    session, entries = convoy(event, 3)

    services.convoy_reorder(
        session=session, entry_ids=[e.pk for e in reversed(entries)], seen=[e.pk for e in entries], by=None
    )

    assert not PendingNotice.objects.exists()


def test_changes_within_ten_minutes_are_one_email_per_affected_driver(event, deliver_mail, mailoutbox):
    session, (a, b, c, d) = convoy(event, 4)
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()
    start = timezone.now()

    services.entry_set_slot(entry=a, slot=2, by=None)  # a and b swap
    services.convoy_reorder(
        session=session, entry_ids=[b.pk, c.pk, a.pk, d.pk], seen=[b.pk, a.pk, c.pk, d.pk], by=None
    )  # a and c move
    services.entry_set_slot(entry=a, slot=1, by=None)  # a and b swap back... a lot of dragging

    notices = {n.driver_id: n for n in PendingNotice.objects.all()}
    assert set(notices) == {a.driver_id, b.driver_id, c.driver_id}
    latest = max(n.send_after for n in notices.values())
    assert start + datetime.timedelta(minutes=10) <= latest <= timezone.now() + datetime.timedelta(minutes=10)

    assert services.notices_send_due(now=start + datetime.timedelta(minutes=9)) == 0
    assert services.notices_send_due(now=latest) == 3
    delivered = deliver_mail()
    assert sorted(m.to[0] for m in delivered) == sorted([a.driver.email, b.driver.email, c.driver.email])
    assert all(len(mails_to(delivered, e.driver)) == 1 for e in (a, b, c))
    assert mails_to(delivered, d.driver) == []
    [mail] = mails_to(delivered, c.driver)
    assert mail.subject == "[1M Register] Your place has changed: Gathering 2031"
    c.refresh_from_db()
    assert f"slot {c.slot}" in mail.body
    assert not PendingNotice.objects.exists()


def test_a_later_change_pushes_the_send_time_on(event, deliver_mail):
    session, (a, b) = convoy(event, 2)
    services.roster_publish(event=event)
    services.entry_set_slot(entry=a, slot=2, by=None)
    first = PendingNotice.objects.get(driver=a.driver).send_after

    services.convoy_renumber(session=session, by=None)  # nothing moves: no new change
    services.entry_set_slot(entry=a, slot=1, by=None)

    assert PendingNotice.objects.get(driver=a.driver).send_after > first
    assert services.notices_send_due(now=first) == 0


def test_unpublishing_drops_the_notices_still_waiting(event, deliver_mail, mailoutbox):
    # The roster comes off the public pages, e.g. to fix the order: nobody is told about slots meanwhile, and
    # publishing again tells every driver where they are.
    session, (a, b) = convoy(event, 2)
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()
    services.entry_set_slot(entry=a, slot=2, by=None)

    services.roster_unpublish(event=event)

    assert services.notices_send_due(now=timezone.now() + datetime.timedelta(minutes=11)) == 0
    assert deliver_mail() == []
    assert not PendingNotice.objects.exists()


def test_auto_assign_after_publication_notifies_the_moved_drivers(event, deliver_mail, mailoutbox):
    session, (a, b) = convoy(event, 2)
    Entry.objects.filter(pk=a.pk).update(created=timezone.now())  # a signed up last
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()

    services.convoy_assign_by_signup(session=session, by=None)
    services.notices_send_due(now=timezone.now() + datetime.timedelta(minutes=10))

    assert sorted(m.to[0] for m in deliver_mail()) == sorted([a.driver.email, b.driver.email])


def test_notice_of_a_driver_no_longer_confirmed_is_dropped(event, deliver_mail, mailoutbox):
    session, (a, b) = convoy(event, 2)
    services.roster_publish(event=event)
    services.entry_set_slot(entry=a, slot=2, by=None)
    services.entry_cancel(entry=a, by=a.driver)
    deliver_mail()
    mailoutbox.clear()

    services.notices_send_due(now=timezone.now() + datetime.timedelta(minutes=10))

    assert mails_to(deliver_mail(), a.driver) == []
    assert not PendingNotice.objects.filter(driver=a.driver).exists()


def test_cancellation_by_an_organiser_says_so(event, deliver_mail):
    session, (a, b) = convoy(event, 2)
    staff = organiser()

    services.entry_cancel(entry=a, by=staff)
    services.entry_cancel(entry=b, by=b.driver)

    delivered = deliver_mail()
    assert "An organiser of the event cancelled it." in mails_to(delivered, a.driver)[0].body
    assert "An organiser" not in mails_to(delivered, b.driver)[0].body


def test_promotion_from_the_waitlist_says_so(event, deliver_mail):
    session = SessionFactory(event=event, capacity=1)
    taken = EntryFactory(session=session, slot=1)
    waiting = EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)

    services.entry_cancel(entry=taken, by=taken.driver)

    [mail] = mails_to(deliver_mail(), waiting.driver)
    assert "moved from the waitlist" in mail.body


def test_each_driver_is_told_in_their_language(event, deliver_mail):
    session, (english, german) = convoy(event, 2)
    german.driver.language = "de"
    german.driver.save(update_fields=["language"])

    services.roster_publish(event=event)

    delivered = deliver_mail()
    assert mails_to(delivered, english.driver)[0].subject == "[1M Register] Roster published: Gathering 2031"
    assert (
        mails_to(delivered, german.driver)[0].subject == "[1er M Register] Starterliste veröffentlicht: Gathering 2031"
    )


# --- nothing for a session that is over ---------------------------------------------------------------------


def over(event, **kwargs):
    """A session of ``event`` that ended an hour ago."""
    ended = timezone.now() - datetime.timedelta(hours=1)
    return SessionFactory(event=event, starts_at=ended - datetime.timedelta(hours=2), ends_at=ended, **kwargs)


def test_slot_changes_in_a_session_that_is_over_note_no_notice(event):
    # The demo's 2025 convoy, ordered by colour after its roster was published: 105 notices used to follow.
    session = over(event)
    a, b = (EntryFactory(session=session, slot=n) for n in (1, 2))
    services.roster_publish(event=event)

    services.entry_set_slot(entry=a, slot=2, by=None)
    services.convoy_reorder(session=session, entry_ids=[a.pk, b.pk], seen=[b.pk, a.pk], by=None)
    services.convoy_assign_by_colour(session=session, by=None)

    assert not PendingNotice.objects.exists()


def test_a_notice_due_after_its_session_ended_is_dropped(event, deliver_mail, mailoutbox):
    # Slots moved in the last minutes of a session: by the time the batch has settled, the session is over.
    session, (a, b) = convoy(event, 2)
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()
    services.entry_set_slot(entry=a, slot=2, by=None)
    assert PendingNotice.objects.count() == 2

    sent = services.notices_send_due(now=timezone.now() + datetime.timedelta(minutes=11))

    assert sent == 0
    assert deliver_mail() == []
    assert not PendingNotice.objects.exists()


def test_a_due_notice_lists_only_the_sessions_not_yet_over(event, deliver_mail, mailoutbox):
    session, (a, b) = convoy(event, 2)
    EntryFactory(session=over(event, name="Friday warm-up"), car=a.car, slot=1)
    services.roster_publish(event=event)
    deliver_mail()
    mailoutbox.clear()
    services.entry_set_slot(entry=a, slot=2, by=None)

    services.notices_send_due(now=timezone.now() + datetime.timedelta(minutes=11))

    [mail] = mails_to(deliver_mail(), a.driver)
    assert "Nordschleife convoy" in mail.body
    assert "Friday warm-up" not in mail.body


def test_publishing_tells_nobody_about_sessions_that_are_over(event, deliver_mail):
    past = over(event, name="Friday warm-up")
    only_past = EntryFactory(session=past, slot=1)
    session, (both,) = convoy(event, 1)
    EntryFactory(session=past, car=both.car, slot=2)

    services.roster_publish(event=event)

    delivered = deliver_mail()
    assert [m.to for m in delivered] == [[both.driver.email]]
    assert "Nordschleife convoy" in delivered[0].body
    assert "Friday warm-up" not in delivered[0].body
    assert mails_to(delivered, only_past.driver) == []


def test_a_place_freed_in_a_session_that_is_over_promotes_and_mails_nobody(event, deliver_mail):
    session = over(event, capacity=1)
    EntryFactory(session=session, slot=1)
    waiting = EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)

    services.session_set_capacity(session=session, capacity=2, by=None)
    promoted = services.waitlist_promote(session=session)

    waiting.refresh_from_db()
    assert (promoted, waiting.status, session.capacity) == ([], Entry.Status.WAITLISTED, 2)
    assert deliver_mail() == []


def test_no_cancellation_mail_for_a_session_that_is_over(event, deliver_mail):
    session = over(event)
    mine = EntryFactory(session=session, slot=1)

    with pytest.raises(services.EntryError, match="This session is over"):
        services.entry_cancel(entry=mine, by=organiser())

    assert deliver_mail() == []
