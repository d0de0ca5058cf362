"""A statement's new credits are settled together (``payments.services._transactions_settle``,
``events.services.entries_mark_paid``): each decided in the statement's order as one by one, and the paid
entries' mails queued together, each in its reader's language, with the ticket's QR code drawn when sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from events import tickets
from events.models import Entry
from events.payment_reference import payment_reference_new
from events.services import entry_cancel, paid_mails_send
from outbox.models import Message
from payments import services
from payments.models import BankTransaction
from register.models import User
from tests.events.test_race import run_at_once
from tests.payments.test_import import Status, awaiting, imported, paid_session, statuses

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("at_once", [1, 3, 500])
def test_the_credits_of_a_statement_are_decided_in_their_order(at_once, deliver_mail, monkeypatch):
    # However many credits are settled in one transaction (SETTLE_AT_ONCE), the outcome is the same.
    monkeypatch.setattr(services, "SETTLE_AT_ONCE", at_once)
    session = paid_session(fee=Decimal("45.00"))
    first, second = (awaiting(reference, "45.00", session=session) for reference in ("1M-HTWRE-Y", "1M-YV96L-H"))

    imported(
        ("T-1", "30.00", "1M-YV96L-H"),  # short: the entry keeps waiting
        ("T-2", "45.00", "1M-YV96L-H"),  # pays it: the session's first place paid
        ("T-3", "45.00", "1M-HTWRE-Y"),
        ("T-4", "45.00", "1M-YV96L-H"),  # paid already
    )

    assert statuses() == {"T-1": Status.UNDERPAID, "T-2": Status.PAID, "T-3": Status.PAID, "T-4": Status.OVERPAID}
    assert list(BankTransaction.objects.order_by("bank_reference").values_list("entry", flat=True)) == [
        second.pk,
        second.pk,
        first.pk,
        second.pk,
    ]
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.status, second.slot, first.status, first.slot) == (
        Entry.Status.CONFIRMED,
        1,
        Entry.Status.CONFIRMED,
        2,
    )
    assert sorted(mail.to[0] for mail in deliver_mail()) == sorted([first.driver.email, second.driver.email])


def test_the_paid_mails_of_a_statement_go_out_in_each_readers_language_with_the_ticket_drawn_when_sent(
    deliver_mail,
):
    session = paid_session(fee=Decimal("45.00"))
    german, english = (awaiting(reference, "45.00", session=session) for reference in ("1M-HTWRE-Y", "1M-YV96L-H"))
    for entry, language in ((german, "de"), (english, "en")):
        User.objects.filter(pk=entry.driver_id).update(language=language)

    imported(("T-1", "45.00", "1M-HTWRE-Y"), ("T-2", "45.00", "1m yv96l h"))

    # The import left the mails to the worker: one job in the import's transaction, the entries flagged.
    assert not Message.objects.exists()
    assert ProcrastinateJob.objects.filter(task_name="events.send_paid_mails", status="todo").count() == 1
    assert set(Entry.objects.filter(paid_mail_due=True).values_list("pk", flat=True)) == {german.pk, english.pk}

    assert paid_mails_send() == 2
    assert paid_mails_send() == 0  # each mail once, whichever job runs
    assert not Entry.objects.filter(paid_mail_due=True).exists()
    messages = Message.objects.order_by("pk")
    assert [(m.recipient, m.language) for m in messages] == [(german.driver.email, "de"), (english.driver.email, "en")]
    jobs = ProcrastinateJob.objects.filter(args__message_id__in=[m.pk for m in messages]).order_by("id")
    assert [job.args for job in jobs] == [{"message_id": m.pk} for m in messages]
    assert all("qr" in m.attachments[0] and "content" not in m.attachments[0] for m in messages)  # not drawn yet
    subjects = {}
    for mail in deliver_mail():
        entry = german if mail.to == [german.driver.email] else english
        entry.refresh_from_db()
        [image] = [part for part in mail.message().walk() if part.get_content_type() == "image/png"]
        assert image["Content-ID"] == "<ticket-qr>"
        assert image.get_payload(decode=True) == tickets.qr_png(entry.ticket_token)
        subjects[entry.pk] = mail.subject
    assert subjects == {
        german.pk: f"[1er M Register] Zahlung eingegangen: {session.name}",
        english.pk: f"[1M Register] Payment received: {session.name}",
    }


def test_an_entry_cancelled_before_the_worker_composes_its_paid_mail_gets_none(deliver_mail):
    session = paid_session(fee=Decimal("45.00"))
    kept, cancelled = (awaiting(reference, "45.00", session=session) for reference in ("1M-HTWRE-Y", "1M-YV96L-H"))
    imported(("T-1", "45.00", "1M-HTWRE-Y"), ("T-2", "45.00", "1M-YV96L-H"))

    entry_cancel(entry=cancelled, by=cancelled.driver)

    subjects = {mail.to[0]: mail.subject for mail in deliver_mail()}
    assert subjects[kept.driver.email] == f"[1M Register] Payment received: {session.name}"
    assert "Payment received" not in subjects[cancelled.driver.email]
    assert not Entry.objects.filter(paid_mail_due=True).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_composing_the_paid_mails_at_once_queue_each_once(monkeypatch):
    from events.services import payments

    monkeypatch.setattr(payments, "PAID_MAILS_AT_ONCE", 2)  # several transactions each, interleaved
    session = paid_session(fee=Decimal("45.00"))
    references = [payment_reference_new() for _ in range(5)]
    entries = [awaiting(reference, "45.00", session=session) for reference in references]
    imported(*((f"T-{n}", "45.00", reference) for n, reference in enumerate(references)))

    queued = run_at_once(2, lambda index: paid_mails_send())

    assert sum(queued) == len(entries), queued
    assert sorted(Message.objects.values_list("recipient", flat=True)) == sorted(e.driver.email for e in entries)
