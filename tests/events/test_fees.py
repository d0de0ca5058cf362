"""A fee per session and a place held until paid: sign-up, deadline, mark paid, expiry, reminders, extension,
reinstatement, the ticket and check-in, the organisers' admin actions."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from events.admin.audit import entry_audit_rows
from events.models import Entry
from events.payment_reference import payment_reference_find
from events.services import (
    EntryError,
    entrant_message_recipients,
    entries_expire_overdue,
    entry_cancel,
    entry_check_in,
    entry_create,
    entry_extend_payment,
    entry_mark_paid,
    entry_reinstate,
    payment_deadline,
    payment_reminders_send,
)
from tests.audit import entry_changes
from tests.events.test_race import run_at_once
from tests.factories import EntryFactory, EventFactory, SessionFactory, VerifiedCarFactory, organiser

pytestmark = pytest.mark.django_db

FEE = Decimal("45.00")
ENTRY_LIST = reverse("admin:events_entry_changelist")


@pytest.fixture(autouse=True)
def _club_account(settings):
    settings.PAYMENT_ACCOUNT_HOLDER = "1M Register e.V."
    settings.PAYMENT_IBAN = "DE89370400440532013000"
    settings.PAYMENT_BIC = "COBADEFFXXX"
    settings.PAYMENT_REMINDER_DAYS = 3


def paid_session(*, capacity=10, fee=FEE, starts_in=datetime.timedelta(days=40), payment_days=14, **kwargs):
    event = EventFactory(payment_days=payment_days)
    starts_at = timezone.now() + starts_in
    return SessionFactory(
        event=event, capacity=capacity, fee=fee, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1)
    )


def signup(session, car=None) -> Entry:
    car = car or VerifiedCarFactory()
    return entry_create(session=session, car=car, driver=car.owner)


def awaiting(session, *, due, **kwargs) -> Entry:
    """An entry written directly as awaiting payment until ``due``."""
    return EntryFactory(
        session=session,
        status=Entry.Status.AWAITING_PAYMENT,
        slot=None,
        amount_due=session.fee,
        payment_reference=kwargs.pop("payment_reference", None),
        payment_due=due,
        **kwargs,
    )


def reasons(entry: Entry) -> list[str]:
    return [change.reason for change in entry_changes(entry) if change.field == "status"]


# --- sign-up ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fee", [None, Decimal("0.00")])
def test_signup_for_a_free_session_is_confirmed_with_a_ticket_and_no_payment(fee, deliver_mail):
    session = paid_session(fee=fee)

    entry = signup(session)

    entry.refresh_from_db()
    assert (entry.status, entry.slot, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, 1, True)
    assert (entry.amount_due, entry.payment_reference, entry.payment_due) == (None, None, None)
    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] Confirmed: {session.name}, slot 1"


def test_signup_for_a_paid_session_holds_the_place_awaiting_payment_and_mails_how_to_pay(deliver_mail):
    session = paid_session()
    before = timezone.now()

    entry = signup(session)

    entry.refresh_from_db()
    assert (entry.status, entry.slot, entry.has_valid_ticket) == (Entry.Status.AWAITING_PAYMENT, None, False)
    assert entry.amount_due == FEE
    assert re.fullmatch(r"1M-[A-Z0-9]{5}-[A-Z0-9]", entry.payment_reference)
    assert payment_reference_find(entry.payment_reference) == [entry.payment_reference]
    assert before + datetime.timedelta(days=14) <= entry.payment_due <= timezone.now() + datetime.timedelta(days=14)
    assert entry.payment_reminded_at is None
    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] Place held until paid: {session.name}"
    html = mail.alternatives[0][0]
    for text in (mail.body, html):
        assert "45.00 €" in text
        assert "1M Register e.V." in text
        assert "DE89 3704 0044 0532 0130 00" in text
        assert "COBADEFFXXX" in text
        assert entry.payment_reference in text
    assert "ticket code" not in mail.body
    # The GiroCode is the one inline image: no ticket before the payment.
    assert "cid:girocode" in html
    assert [image["Content-ID"] for image in mail.attachments] == ["<girocode>"]


def test_signup_for_a_paid_session_mails_the_payment_in_german_for_a_german_driver(deliver_mail):
    session = paid_session()
    car = VerifiedCarFactory(owner__language="de")

    entry = signup(session, car)

    [mail] = deliver_mail()
    assert mail.subject == f"[1er M Register] Platz reserviert bis zur Zahlung: {session.name}"
    assert "45,00 €" in mail.body
    assert f"Verwendungszweck: {entry.payment_reference}" in mail.body


def test_a_place_awaiting_payment_counts_toward_capacity_and_the_next_signup_waits():
    session = paid_session(capacity=1)
    first = signup(session)

    second = signup(session)

    assert (first.status, second.status) == (Entry.Status.AWAITING_PAYMENT, Entry.Status.WAITLISTED)
    assert second.waitlist_position == 1
    counted = type(session).objects.with_counts().get(pk=session.pk)
    assert (counted.held_count, counted.confirmed_count, counted.places_left) == (1, 0, 0)


def test_two_signups_draw_different_payment_references():
    session = paid_session()

    first, second = signup(session), signup(session)

    assert first.payment_reference != second.payment_reference


def test_a_place_awaiting_payment_is_not_on_the_roster_and_has_no_ticket_page_qr(client):
    session = paid_session()
    entry = signup(session)
    client.force_login(entry.driver)

    page = client.get(entry.get_ticket_url()).content.decode()

    assert list(Entry.objects.for_roster().filter(session=session)) == []
    assert "This entry is awaiting payment, so it has no valid ticket yet." in page
    assert entry.payment_reference in page
    assert 'class="ticket-qr"' not in page
    assert 'class="payment-qr"' in page  # the GiroCode of the payment box


def test_my_entries_shows_awaiting_payment_with_its_deadline_and_a_cancel_link(client):
    session = paid_session()
    entry = signup(session)
    client.force_login(entry.driver)

    page = client.get(reverse("events:my_entries")).content.decode()

    assert "Awaiting payment</span> €45.00, pay by" in page
    assert reverse("events:entry_cancel", args=[entry.pk]) in page


def test_driver_cancels_a_place_awaiting_payment_and_the_waitlist_is_promoted_awaiting_payment():
    session = paid_session(capacity=1)
    first, second = signup(session), signup(session)

    entry_cancel(entry=first, by=first.driver)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.CANCELLED
    assert second.status == Entry.Status.AWAITING_PAYMENT
    assert second.payment_reference not in (None, first.payment_reference)


# --- the deadline -------------------------------------------------------------------------------------------


def test_payment_deadline_is_the_events_days_to_pay():
    session = paid_session(starts_in=datetime.timedelta(days=40), payment_days=14)
    now = timezone.now()

    assert payment_deadline(session, now) == now + datetime.timedelta(days=14)


def test_payment_deadline_is_never_later_than_an_hour_before_the_start():
    session = paid_session(starts_in=datetime.timedelta(days=10), payment_days=14)
    now = timezone.now()

    assert payment_deadline(session, now) == session.starts_at - datetime.timedelta(hours=1)


def test_payment_deadline_of_few_days_to_pay_is_48_hours():
    session = paid_session(starts_in=datetime.timedelta(days=10), payment_days=1)
    now = timezone.now()

    assert payment_deadline(session, now) == now + datetime.timedelta(hours=48)


def test_payment_deadline_close_to_the_event_is_an_hour_before_the_start():
    session = paid_session(starts_in=datetime.timedelta(hours=30), payment_days=14)
    now = timezone.now()

    assert payment_deadline(session, now) == session.starts_at - datetime.timedelta(hours=1)


def test_signup_for_a_paid_session_within_its_last_hour_is_refused():
    session = paid_session(starts_in=datetime.timedelta(minutes=50))

    with pytest.raises(EntryError, match="close an hour before it starts"):
        signup(session)

    assert not Entry.objects.filter(session=session).exists()


def test_a_deadline_within_the_reminder_window_at_signup_counts_as_reminded(deliver_mail, mailoutbox):
    session = paid_session(starts_in=datetime.timedelta(hours=30))
    entry = signup(session)
    deliver_mail()
    mailoutbox.clear()

    assert payment_reminders_send(now=timezone.now()) == 0
    entry.refresh_from_db()
    assert entry.payment_reminded_at is not None
    assert deliver_mail() == []


# --- mark paid ----------------------------------------------------------------------------------------------


def test_mark_paid_confirms_with_the_next_slot_a_valid_ticket_and_mails_the_ticket(deliver_mail, mailoutbox):
    session = paid_session()
    EntryFactory(session=session, slot=4)
    entry = signup(session)
    staff = organiser()
    deliver_mail()
    mailoutbox.clear()

    entry_mark_paid(entry=entry, by=staff, reason="cash at the gate")

    entry.refresh_from_db()
    assert (entry.status, entry.slot, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, 5, True)
    assert entry.paid_at is not None
    assert reasons(entry) == ["marked paid: cash at the gate"]
    assert entry_changes(entry)[0].by == staff.pk
    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] Payment received: {session.name}"
    assert "Thank you: your payment of 45.00 € has arrived." in mail.body
    assert f"Your ticket code for the gate: {entry.ticket_code_display}" in mail.body
    entry_check_in(entry=entry, by=staff)


def test_mark_paid_of_an_entry_not_awaiting_payment_is_refused():
    session = paid_session()
    entry = EntryFactory(session=session, slot=1)

    with pytest.raises(EntryError, match="not awaiting payment"):
        entry_mark_paid(entry=entry, by=organiser(), reason="cash")


def test_mark_paid_without_a_reason_is_refused():
    entry = signup(paid_session())

    with pytest.raises(EntryError, match="Please give a reason"):
        entry_mark_paid(entry=entry, by=organiser(), reason="  ")

    entry.refresh_from_db()
    assert entry.status == Entry.Status.AWAITING_PAYMENT


def test_audit_trail_shows_the_reason_of_mark_paid_in_german():
    entry = signup(paid_session())
    entry_mark_paid(entry=entry, by=organiser(), reason="bar an der Kasse")

    with translation.override("de"):
        rows = entry_audit_rows(entry)

    [status] = [row for row in rows if row[2] == "Status" and row[4] == "Bestätigt"]
    assert status[5] == "als bezahlt markiert: bar an der Kasse"


# --- check-in -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"),
    [(Entry.Status.AWAITING_PAYMENT, "awaiting payment"), (Entry.Status.EXPIRED, "has expired")],
)
def test_check_in_of_an_entry_without_a_paid_place_is_refused(status, words):
    session = paid_session()
    entry = awaiting(session, due=timezone.now() + datetime.timedelta(days=1))
    Entry.objects.filter(pk=entry.pk).update(status=status)

    with pytest.raises(EntryError, match=words):
        entry_check_in(entry=entry, by=organiser())

    entry.refresh_from_db()
    assert entry.checked_in_at is None


# --- expiry -------------------------------------------------------------------------------------------------


def test_expiry_before_the_deadline_changes_nothing():
    entry = signup(paid_session())

    assert entries_expire_overdue(now=entry.payment_due - datetime.timedelta(seconds=1)) == []

    entry.refresh_from_db()
    assert entry.status == Entry.Status.AWAITING_PAYMENT


def test_expiry_at_the_deadline_releases_the_place_tells_the_driver_and_promotes_with_its_own_deadline(
    deliver_mail,
    mailoutbox,
):
    session = paid_session(capacity=1)
    first, second = signup(session), signup(session)
    deliver_mail()
    mailoutbox.clear()
    before = timezone.now()

    expired = entries_expire_overdue(now=first.payment_due)

    assert [entry.pk for entry in expired] == [first.pk]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.EXPIRED
    assert reasons(first) == ["expired: not paid by the deadline"]
    assert second.status == Entry.Status.AWAITING_PAYMENT
    assert second.payment_due >= before + datetime.timedelta(days=14)
    assert second.amount_due == FEE
    assert reasons(second) == ["promoted from the waitlist after an unpaid place expired"]
    mails = {mail.to[0]: mail for mail in deliver_mail()}
    assert mails[first.driver.email].subject == f"[1M Register] Place released: {session.name}"
    assert "did not arrive by the deadline, so the place has been released." in mails[first.driver.email].body
    promoted = mails[second.driver.email]
    assert promoted.subject == f"[1M Register] Place held until paid: {session.name}"
    assert "has moved from the waitlist" in promoted.body
    assert second.payment_reference in promoted.body


def test_expiry_does_not_promote_into_a_session_within_its_last_hour():
    session = paid_session(capacity=1, starts_in=datetime.timedelta(minutes=30))
    first = awaiting(session, due=timezone.now() - datetime.timedelta(minutes=1))
    second = EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)

    entries_expire_overdue()

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Entry.Status.EXPIRED, Entry.Status.WAITLISTED)


def test_an_expired_entry_cannot_be_cancelled_or_marked_paid():
    entry = signup(paid_session())
    entries_expire_overdue(now=entry.payment_due)

    with pytest.raises(EntryError, match="has expired"):
        entry_cancel(entry=entry, by=entry.driver)
    with pytest.raises(EntryError, match="reinstate"):
        entry_mark_paid(entry=entry, by=organiser(), reason="late transfer")


# --- reminders ----------------------------------------------------------------------------------------------


def test_reminder_is_sent_once_three_days_before_the_deadline(deliver_mail, mailoutbox):
    session = paid_session()
    entry = signup(session)
    deliver_mail()
    mailoutbox.clear()
    three_days_before = entry.payment_due - datetime.timedelta(days=3)

    assert payment_reminders_send(now=three_days_before - datetime.timedelta(minutes=1)) == 0
    assert payment_reminders_send(now=three_days_before + datetime.timedelta(minutes=1)) == 1
    assert payment_reminders_send(now=three_days_before + datetime.timedelta(hours=1)) == 0

    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] Reminder: please pay for {session.name}"
    assert entry.payment_reference in mail.body
    assert "€45.00" in mail.body


# --- extension ----------------------------------------------------------------------------------------------


def test_extend_moves_the_deadline_keeps_the_reason_and_tells_the_driver(deliver_mail, mailoutbox):
    session = paid_session()
    entry = signup(session)
    deliver_mail()
    mailoutbox.clear()
    until = session.starts_at - datetime.timedelta(days=1)

    entry_extend_payment(entry=entry, until=until, by=organiser(), reason="transfer on its way")

    entry.refresh_from_db()
    assert entry.payment_due == until
    assert [c.reason for c in entry_changes(entry)] == ["payment deadline extended: transfer on its way"]
    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] New payment deadline: {session.name}"
    assert entries_expire_overdue(now=until - datetime.timedelta(seconds=1)) == []


@pytest.mark.parametrize(
    ("offset", "words"), [(datetime.timedelta(minutes=1), "after the session starts"), (None, "in the future")]
)
def test_extend_after_the_start_or_into_the_past_is_refused(offset, words):
    session = paid_session()
    entry = signup(session)
    until = session.starts_at + offset if offset else timezone.now() - datetime.timedelta(minutes=1)

    with pytest.raises(EntryError, match=words):
        entry_extend_payment(entry=entry, until=until, by=organiser(), reason="asked")


# --- reinstatement ------------------------------------------------------------------------------------------


def test_reinstate_with_a_free_place_confirms_and_marks_paid(deliver_mail, mailoutbox):
    session = paid_session(capacity=2)
    entry = signup(session)
    entries_expire_overdue(now=entry.payment_due)
    deliver_mail()
    mailoutbox.clear()

    entry_reinstate(entry=entry, by=organiser(), reason="payment arrived late")

    entry.refresh_from_db()
    assert (entry.status, entry.slot, entry.has_valid_ticket) == (Entry.Status.CONFIRMED, 1, True)
    assert entry.paid_at is not None
    assert reasons(entry)[-1] == "reinstated: payment arrived late"
    [mail] = deliver_mail()
    assert mail.subject == f"[1M Register] Payment received: {session.name}"


def test_reinstate_without_a_free_place_is_refused():
    session = paid_session(capacity=1)
    entry = signup(session)
    waiting = signup(session)
    entries_expire_overdue(now=entry.payment_due)
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.AWAITING_PAYMENT

    with pytest.raises(EntryError, match="No place is free"):
        entry_reinstate(entry=entry, by=organiser(), reason="payment arrived late")

    entry.refresh_from_db()
    assert entry.status == Entry.Status.EXPIRED


# --- the expiry job racing a payment ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("round_", range(3))
def test_expiry_racing_mark_paid_has_exactly_one_outcome(round_):
    session = paid_session(capacity=1)
    entry = awaiting(session, due=timezone.now() - datetime.timedelta(seconds=1), payment_reference=None)
    staff = organiser()

    def work(index: int):
        if index == 0:
            return entries_expire_overdue()
        return entry_mark_paid(entry=entry, by=staff, reason="cash at the gate")

    expired, paid = run_at_once(2, work)

    entry.refresh_from_db()
    if isinstance(paid, Entry):
        assert expired == []
        assert (entry.status, entry.slot) == (Entry.Status.CONFIRMED, 1)
    else:
        assert isinstance(paid, EntryError)
        assert [e.pk for e in expired] == [entry.pk]
        assert (entry.status, entry.paid_at) == (Entry.Status.EXPIRED, None)
    assert len(reasons(entry)) == 1


# --- the admin ----------------------------------------------------------------------------------------------


def test_mark_paid_action_asks_for_a_reason_then_marks_paid(organiser_client, organiser):
    entry = signup(paid_session())

    page = organiser_client.post(ENTRY_LIST, {"action": "mark_paid", "_selected_action": [entry.pk]})

    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.AWAITING_PAYMENT

    response = organiser_client.post(
        ENTRY_LIST,
        {"action": "mark_paid", "_selected_action": [entry.pk], "confirmed": "yes", "reason": "cash at the gate"},
        follow=True,
    )

    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED
    assert "1 entry marked paid." in response.content.decode()
    assert reasons(entry) == ["marked paid: cash at the gate"]


def test_mark_paid_action_without_a_reason_shows_the_form_again_and_changes_nothing(organiser_client):
    entry = signup(paid_session())

    page = organiser_client.post(
        ENTRY_LIST, {"action": "mark_paid", "_selected_action": [entry.pk], "confirmed": "yes", "reason": ""}
    )

    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.AWAITING_PAYMENT


def test_extend_payment_action_sets_the_new_deadline(organiser_client):
    session = paid_session()
    entry = signup(session)
    until = timezone.localtime(session.starts_at - datetime.timedelta(days=2)).replace(second=0, microsecond=0)

    organiser_client.post(
        ENTRY_LIST,
        {
            "action": "extend_payment",
            "_selected_action": [entry.pk],
            "confirmed": "yes",
            "until": until.strftime("%Y-%m-%dT%H:%M"),
            "reason": "asked by phone",
        },
    )

    entry.refresh_from_db()
    assert entry.payment_due == until


def test_extend_payment_action_with_a_bad_date_shows_the_form_again(organiser_client):
    entry = signup(paid_session())
    due = entry.payment_due

    page = organiser_client.post(
        ENTRY_LIST,
        {
            "action": "extend_payment",
            "_selected_action": [entry.pk],
            "confirmed": "yes",
            "until": "not a date",
            "reason": "asked",
        },
    )

    assert page.status_code == 200
    entry.refresh_from_db()
    assert entry.payment_due == due


def test_entry_list_shows_the_amount_and_deadline(organiser_client):
    entry = signup(paid_session())

    page = organiser_client.get(ENTRY_LIST).content.decode()

    assert "45.00 €, due" in page
    assert "Awaiting payment" in page
    assert entry.payment_reference not in ("", None)


def test_a_message_to_the_drivers_reaches_a_place_awaiting_payment():
    session = paid_session()
    entry = signup(session)

    recipients = entrant_message_recipients(event=session.event, session=None, include_waitlisted=False)

    assert recipients == [entry.driver]
