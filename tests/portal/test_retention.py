"""The retention job erases what is due at the clock it is given, and nothing else; each run is recorded."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from events.models import EntrantMessage, EntrantMessageRecipient
from outbox.models import Message
from payments.models import BankTransaction, Refund, Statement
from portal.models import RetentionRun
from portal.privacy.retention import RULES, retention_run
from register.models import VinCheckCounter
from tests.factories import EntryFactory, EventFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2031, 3, 1, 4, 0))
DAY = datetime.timedelta(days=1)


def mail(key: str, *, created, status=Message.Status.SENT) -> Message:
    message = Message.objects.create(
        message_id=f"<{key}@example.org>",
        from_email="r@example.org",
        recipient="a@example.org",
        subject=key,
        text="t",
        status=status,
    )
    Message.objects.filter(pk=message.pk).update(created=created)  # auto_now_add: set after
    return message


def test_each_rule_erases_only_what_is_due(settings):
    settings.MAIL_RECORDS_KEPT = 180 * DAY
    settings.LOGIN_RECORDS_KEPT = 90 * DAY
    settings.VIN_CHECK_COUNTERS_KEPT = 30 * DAY
    settings.BOOKS_KEPT_YEARS = 10
    old_mail, new_mail = mail("old", created=NOW - 181 * DAY), mail("new", created=NOW - 179 * DAY)
    queued = mail("queued", created=NOW - 400 * DAY, status=Message.Status.QUEUED)
    event, person = EventFactory(), UserFactory()
    old_message = EntrantMessage.objects.create(event=event, subject="s", body="b", sent_at=NOW - 181 * DAY)
    new_message = EntrantMessage.objects.create(event=event, subject="s", body="b", sent_at=NOW - 179 * DAY)
    old_address = EntrantMessageRecipient.objects.create(message=old_message, user=person, email=person.email)
    new_address = EntrantMessageRecipient.objects.create(message=new_message, user=person, email=person.email)
    old_login = AccessLog.objects.create(username="a@example.org", ip_address="192.0.2.1", user_agent="x")
    new_login = AccessLog.objects.create(username="a@example.org", ip_address="192.0.2.2", user_agent="x")
    AccessLog.objects.filter(pk=old_login.pk).update(attempt_time=NOW - 91 * DAY)
    AccessLog.objects.filter(pk=new_login.pk).update(attempt_time=NOW - 89 * DAY)
    attempt = AccessAttempt.objects.create(username="a@example.org", ip_address="192.0.2.3", failures_since_start=1)
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=NOW - 91 * DAY)
    idle = VinCheckCounter.objects.create(kind="address", key="192.0.2.9", window_start=NOW, last_check=NOW - 31 * DAY)
    used = VinCheckCounter.objects.create(kind="address", key="192.0.2.8", window_start=NOW, last_check=NOW - 29 * DAY)
    expired, alive = SessionStore(), SessionStore()
    for store, expiry in ((expired, NOW - DAY), (alive, NOW + DAY)):
        store.create()
        Session.objects.filter(session_key=store.session_key).update(expire_date=expiry)
    statement = Statement.objects.create(file_name="s.xml", sha256="0" * 64, format="camt")
    entry = EntryFactory()

    def credit(key, year):
        return BankTransaction.objects.create(
            bank_reference=key,
            statement=statement,
            booked_on=datetime.date(year, 12, 31),
            amount=Decimal("45"),
            payer_name="Payer",
            payer_iban="DE02120300000000202051",
            remittance="fee",
            entry=entry,
        )

    # 2031 with 10 years: the books of 2020 and before go, those of 2021 stay to the end of 2031.
    old_credit, kept_credit = credit("T-2020", 2020), credit("T-2021", 2021)
    old_refund = Refund.objects.create(
        entry=entry, amount=Decimal("45"), payer_name="Payer", created_at=NOW.replace(year=2020)
    )
    kept_refund = Refund.objects.create(
        entry=entry, amount=Decimal("45"), payer_name="Payer", created_at=NOW.replace(year=2021)
    )

    run = retention_run(now=NOW)

    assert run.counts == {
        "mail_records": 1,
        "mail_to_no_account": 0,
        "entrant_message_addresses": 1,
        "login_records": 2,
        "vin_check_counters": 1,
        "sessions": 1,
        "books": 2,
        "passenger_names": 0,
        "declarations": 0,
        "gate_data": 0,  # tests/events/test_attention.py
    }
    assert set(Message.objects.values_list("pk", flat=True)) == {new_mail.pk, queued.pk}
    assert not Message.objects.filter(pk=old_mail.pk).exists()
    old_address.refresh_from_db()
    new_address.refresh_from_db()
    assert (old_address.email, old_address.user) == ("", person)
    assert new_address.email == person.email
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [new_login.pk]
    assert not AccessAttempt.objects.exists()
    assert list(VinCheckCounter.objects.values_list("pk", flat=True)) == [used.pk]
    assert not VinCheckCounter.objects.filter(pk=idle.pk).exists()
    assert list(Session.objects.values_list("session_key", flat=True)) == [alive.session_key]
    old_credit.refresh_from_db()
    kept_credit.refresh_from_db()
    assert (old_credit.payer_name, old_credit.payer_iban, old_credit.remittance) == ("", "", "")
    assert old_credit.amount == Decimal("45") and old_credit.entry == entry  # the amounts and dates stay
    assert (kept_credit.payer_name, kept_credit.payer_iban) == ("Payer", "DE02120300000000202051")
    old_refund.refresh_from_db()
    kept_refund.refresh_from_db()
    assert (old_refund.payer_name, kept_refund.payer_name) == ("", "Payer")


def test_sent_mail_to_an_address_no_account_holds_goes_the_next_day(settings):
    UserFactory(email="Still.Here@example.org")

    def to(address, status=Message.Status.SENT):
        message = mail(f"{address}-{status}", created=NOW - DAY, status=status)
        Message.objects.filter(pk=message.pk).update(to=[address])
        return message

    gone, failed = to("gone@example.org"), to("gone2@example.org", Message.Status.FAILED)
    queued, kept = to("gone@example.org", Message.Status.QUEUED), to("still.here@example.org")

    assert retention_run(now=NOW).counts["mail_to_no_account"] == 2
    assert set(Message.objects.values_list("pk", flat=True)) == {queued.pk, kept.pk}
    assert not Message.objects.filter(pk__in=[gone.pk, failed.pk]).exists()


def test_a_second_run_at_the_same_time_finds_nothing_and_both_are_recorded():
    mail("old", created=NOW - 400 * DAY)

    first = retention_run(now=NOW)
    second = retention_run(now=NOW)

    assert first.total == 1 and second.total == 0
    assert set(second.counts) == set(RULES)
    assert list(RetentionRun.objects.order_by("pk")) == [first, second]
    assert all(run.finished is not None for run in (first, second))


def test_the_job_is_a_daily_periodic_task_on_the_housekeeping_schedule(settings):
    """(The task closes the thread's connection as a worker's does: what it runs is ``retention_run``.)"""
    from procrastinate.contrib.django import app

    from portal import tasks

    assert tasks.retention.name == "portal.retention"
    periodic = [task for task in app.periodic_registry.periodic_tasks.values() if task.task.name == "portal.retention"]
    assert [task.cron for task in periodic] == [settings.HOUSEKEEPING_CRON]
