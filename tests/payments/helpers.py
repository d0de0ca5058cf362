"""Paid entries and their credits, written directly, for the refund, books and receipt tests."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from events.models import Entry
from payments.models import BankTransaction, Statement
from tests.factories import EntryFactory, EventFactory, SessionFactory

FEE = Decimal("45.00")
PAYER_IBAN = "DE02120300000000202051"


def paid_session(*, fee=FEE, starts_in=datetime.timedelta(days=40), **event_fields):
    event = EventFactory(**event_fields)
    starts_at = timezone.now() + starts_in
    return SessionFactory(event=event, fee=fee, starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1))


def paid_entry(session, *, reference: str, bank: bool = True, payer_name="Anna Berger", **fields) -> Entry:
    """A confirmed entry whose fee has arrived: by bank transfer (a PAID credit) or, with ``bank=False``, in cash."""
    entry = EntryFactory(
        session=session,
        amount_due=session.fee,
        payment_reference=reference,
        paid_at=timezone.now() - datetime.timedelta(days=1),
        **fields,
    )
    if bank:
        credit(entry, amount=session.fee, status=BankTransaction.Status.PAID, payer_name=payer_name)
    return entry


def credit(entry, *, amount, status, payer_name="Anna Berger", payer_iban=PAYER_IBAN, key=None) -> BankTransaction:
    statement = Statement.objects.create(file_name="statement.xml", sha256="0" * 64, format=Statement.Format.CAMT)
    return BankTransaction.objects.create(
        bank_reference=key or f"credit-{BankTransaction.objects.count() + 1}-{entry.pk if entry else 0}",
        statement=statement,
        booked_on=timezone.localdate() - datetime.timedelta(days=1),
        amount=amount,
        remittance=f"Entry fee {entry.payment_reference}" if entry else "",
        payer_name=payer_name,
        payer_iban=payer_iban,
        status=status,
        entry=entry,
    )
