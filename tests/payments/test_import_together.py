"""A statement's new credits are settled together (``payments.services._transactions_settle``,
``events.services.entries_mark_paid``): each decided in the statement's order as one by one, and the paid
entries' mails queued together, each in its reader's language, with the ticket's QR code drawn when sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from events import tickets
from events.models import Entry
from outbox.models import Message
from payments import services
from payments.models import BankTransaction
from register.models import User
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
