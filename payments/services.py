"""Statements in, payments matched: every state change of the bank side (views, admin actions and the import
command call these; none re-implements a rule).

A statement's credits are stored once each, by the key the parser gives them (``Credit.bank_reference``): the
insert skips a key that is already there (``ON CONFLICT DO NOTHING``), so importing a statement again, or one
that overlaps it, adds nothing and matches nothing twice. Only the rows an import created are matched, together,
500 to a transaction that locks the credits' rows first and then (through ``entries_mark_paid``) their entries'
sessions; a credit matched by itself (``transaction_match``, ``transaction_assign``) takes the same locks in the
same order. A credit is decided once, and the expiry job (which takes the session lock) either releases the
place before the payment is seen (the credit is then LATE) or finds the entry paid.
"""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

from django.db.transaction import atomic
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import rows_update
from events.models import Entry
from events.payment_reference import payment_reference_find
from events.services import EntryError, Transfer, entries_mark_paid, entry_mark_paid, entry_reinstate
from payments.models import BankTransaction, CsvLayout, Statement
from payments.statements import Credit, StatementError, statement_format, statement_read
from register.models import User

CURRENCY = "EUR"
LARGEST_AMOUNT = Decimal("9999999.99")  # BankTransaction.amount: max_digits=9, decimal_places=2
KEY_LENGTH = 100  # BankTransaction.bank_reference
SETTLE_AT_ONCE = 500  # credits settled in one transaction by an import (_transactions_settle)


class PaymentError(Exception):
    """A decision on a payment that cannot be made; the message is for the treasurer (translated)."""


def _key(credit: Credit) -> str:
    # A bank's id longer than the column (a CSV column of anything) is stored as its hash: still one per credit.
    key = credit.bank_reference
    return key if len(key) <= KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()


def statement_import(
    *, data: bytes, file_name: str, by: User | None, csv_layout: CsvLayout | None = None
) -> Statement:
    """Read a statement file (CAMT.053, MT940, or CSV with ``csv_layout`` or a built-in mapping), store each of
    its credits that is not stored yet, and match those new ones as ``transaction_match`` would, all together
    (``_transactions_settle``). Raises StatementError (a message for the uploader) for a file that cannot be
    read; then nothing is stored."""
    mapping = csv_layout.as_mapping() if csv_layout else None
    credits = statement_read(data, filename=file_name, csv_mapping=mapping)
    for credit in credits:
        if credit.amount > LARGEST_AMOUNT:
            raise StatementError(
                _("The statement has a credit of %(amount)s, more than any fee: is it the right file?")
                % {"amount": credit.amount}
            )
    with atomic():
        statement = Statement.objects.create(
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            format=statement_format(data, filename=file_name),
            imported_by=by,
            credits_read=len(credits),
        )
        BankTransaction.objects.bulk_create(
            [
                BankTransaction(
                    bank_reference=_key(credit),
                    statement=statement,
                    booked_on=credit.booked_on,
                    amount=credit.amount,
                    currency=(credit.currency or CURRENCY)[:3],
                    remittance=credit.remittance,
                    payer_name=credit.payer_name[:140],
                    payer_iban=credit.payer_iban[:34],
                    status=BankTransaction.Status.UNMATCHED,
                )
                for credit in credits
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        # A row whose key was there already keeps the statement that first brought it: this statement's rows
        # are exactly the new ones.
        statement.credits_new = statement.transactions.count()
        statement.save(update_fields=["credits_new"])
    new = list(statement.transactions.order_by("pk"))
    found = {transaction.pk: payment_reference_find(transaction.remittance) for transaction in new}
    entry_of_reference = dict(
        Entry.objects.filter(payment_reference__in={ref for refs in found.values() for ref in refs}).values_list(
            "payment_reference", "pk"
        )
    )
    # As transaction_match decides: exactly one entry named and euros, else the credit stays UNMATCHED as
    # inserted. The matched ones are settled together, SETTLE_AT_ONCE at a time in the order they were stored:
    # the sessions' locks are held for one such batch (about half a second), not for a whole statement.
    entry_of = {}
    for transaction in new:
        entries = {entry_of_reference[ref] for ref in found[transaction.pk] if ref in entry_of_reference}
        if len(entries) == 1 and transaction.currency == CURRENCY:
            entry_of[transaction.pk] = entries.pop()
    matched = list(entry_of.items())  # in the order of ``new``
    for start in range(0, len(matched), SETTLE_AT_ONCE):
        _transactions_settle(dict(matched[start : start + SETTLE_AT_ONCE]))
    return statement


@atomic
def _transactions_settle(entry_of: dict[int, int]) -> None:
    """``transaction_match`` for many new credits at once, each naming one entry (``entry_of``: transaction id →
    entry id), decided in the order they were stored: the credits are locked (one query, in id order: a credit
    is decided once), then ``entries_mark_paid`` locks the entries' sessions and pays or leaves each entry as
    ``_settle`` would one by one. A few statements for hundreds of credits instead of a transaction each."""
    transactions = list(
        BankTransaction.objects.select_for_update(of=("self",))
        .filter(pk__in=entry_of, status=BankTransaction.Status.UNMATCHED, entry=None, decided_at=None)
        .order_by("pk")
    )
    found = entries_mark_paid(
        transfers=[
            Transfer(
                entry_id=entry_of[transaction.pk],
                amount=transaction.amount,
                paid_at=_paid_at(transaction),
                reason=_reason(transaction),
            )
            for transaction in transactions
        ],
        by=None,
    )
    for transaction, (entry, status) in zip(transactions, found, strict=True):
        transaction.entry = entry
        if status == Entry.Status.AWAITING_PAYMENT and transaction.amount == entry.amount_due:
            transaction.status = BankTransaction.Status.PAID
        else:
            transaction.status = _flag(transaction, status, entry.amount_due)
    rows_update(transactions, ["entry", "status"])


def _reason(transaction: BankTransaction) -> str:
    return f"bank transfer {transaction.booked_on.isoformat()}"


def _paid_at(transaction: BankTransaction) -> datetime.datetime:
    """When the money arrived, for the books: the start of its booking day (Europe/Berlin), not after now."""
    booked = timezone.make_aware(datetime.datetime.combine(transaction.booked_on, datetime.time.min))
    return min(booked, timezone.now())


def _flag(transaction: BankTransaction, status: str, amount_due: Decimal | None) -> str:
    """The status of a credit that does not pay its entry (of ``status``, owing ``amount_due``): a decision for
    the treasurer."""
    if status in (Entry.Status.EXPIRED, Entry.Status.CANCELLED):
        return BankTransaction.Status.LATE
    if status == Entry.Status.AWAITING_PAYMENT and transaction.amount < (amount_due or 0):
        return BankTransaction.Status.UNDERPAID
    # More than is due, or anything for an entry that owes nothing (already paid: a second payment).
    return BankTransaction.Status.OVERPAID


def _settle(transaction: BankTransaction, entry: Entry, *, by: User | None, reason: str) -> None:
    """Pay ``entry`` with the (locked) ``transaction`` if it awaits payment of exactly this amount; else flag the
    credit. Sets the transaction's entry and status; the caller saves it."""
    transaction.entry = entry
    if entry.status == Entry.Status.AWAITING_PAYMENT and transaction.amount == entry.amount_due:
        try:
            with atomic():  # a savepoint: a refusal rolls back only this, and releases the session lock
                entry_mark_paid(entry=entry, by=by, reason=reason, paid_at=_paid_at(transaction))
        except EntryError:
            # Expired or paid meanwhile (the service read it again under the session lock): read what it is now.
            entry.refresh_from_db(fields=["status", "amount_due"])
        else:
            transaction.status = BankTransaction.Status.PAID
            return
    transaction.status = _flag(transaction, entry.status, entry.amount_due)


def _locked(transaction: BankTransaction) -> BankTransaction:
    return BankTransaction.objects.select_for_update(of=("self",)).get(pk=transaction.pk)


@atomic
def transaction_match(*, transaction: BankTransaction) -> BankTransaction:
    """Match a credit by the payment reference in its remittance (``payment_reference_find``: case, blanks,
    dashes, line breaks and leading zeros ignored, a wrong check character is no reference). Exactly one entry
    with a reference found → exact amount for an entry awaiting payment: paid (``entry_mark_paid``: ticket and
    email); less or more: UNDERPAID or OVERPAID, the entry left as it is and nobody mailed; an entry expired or
    cancelled: LATE; one already paid: OVERPAID. No reference, an unknown one, several entries or another
    currency: UNMATCHED. A credit already decided is left alone."""
    transaction = _locked(transaction)
    if transaction.status != BankTransaction.Status.UNMATCHED or transaction.entry_id or transaction.decided_at:
        return transaction
    references = payment_reference_find(transaction.remittance)
    entries = list(Entry.objects.filter(payment_reference__in=references)) if references else []
    if len(entries) != 1 or transaction.currency != CURRENCY:
        return transaction
    _settle(transaction, entries[0], by=None, reason=_reason(transaction))
    transaction.save(update_fields=["entry", "status"])
    return transaction


def _undecided(transaction: BankTransaction) -> BankTransaction:
    transaction = _locked(transaction)
    if transaction.status not in BankTransaction.NEEDS_DECISION:
        raise PaymentError(
            _("This payment has been dealt with already (%(status)s).") % {"status": transaction.get_status_display()}
        )
    return transaction


def _decided(transaction: BankTransaction, by: User | None, fields: list[str]) -> None:
    transaction.decided_by = by
    transaction.decided_at = timezone.now()
    transaction.save(update_fields=[*fields, "decided_by", "decided_at"])


@atomic
def transaction_assign(*, transaction: BankTransaction, entry: Entry, by: User | None) -> BankTransaction:
    """The treasurer says which entry an unmatched or flagged credit pays: the exact amount for an entry
    awaiting payment pays it (ticket and email); anything else stays flagged, now with the entry set."""
    transaction = _undecided(transaction)
    if transaction.currency != CURRENCY:
        raise PaymentError(_("Only a payment in euros can pay an entry."))
    entry = Entry.objects.get(pk=entry.pk)
    _settle(transaction, entry, by=by, reason=f"bank transfer {transaction.booked_on.isoformat()}, assigned by hand")
    _decided(transaction, by, ["entry", "status"])
    return transaction


@atomic
def transaction_ignore(*, transaction: BankTransaction, by: User | None, note: str) -> BankTransaction:
    """An unmatched or flagged credit that is no entry's fee (a donation, a membership fee): set aside with a
    note saying why."""
    note = " ".join((note or "").split())
    if not note:
        raise PaymentError(_("Please say why the payment is ignored."))
    transaction = _undecided(transaction)
    transaction.status = BankTransaction.Status.IGNORED
    transaction.note = note
    _decided(transaction, by, ["status", "note"])
    return transaction


@atomic
def transaction_reinstate(*, transaction: BankTransaction, by: User | None) -> BankTransaction:
    """A LATE credit (its entry expired before the payment was seen) of exactly the fee gives the entry its
    place back (``entry_reinstate``) if one is free: the credit is PAID. If not, PaymentError and the credit
    stays LATE: it is refunded instead."""
    transaction = _locked(transaction)
    if transaction.status != BankTransaction.Status.LATE or transaction.entry_id is None:
        raise PaymentError(_("Only a late payment for an entry can reinstate it."))
    entry = transaction.entry
    if transaction.amount != entry.amount_due:
        raise PaymentError(
            _("The payment (%(paid)s €) is not the fee (%(due)s €): refund it instead.")
            % {"paid": transaction.amount, "due": entry.amount_due}
        )
    try:
        entry_reinstate(entry=entry, by=by, reason=f"bank transfer {transaction.booked_on.isoformat()} arrived late")
    except EntryError as error:
        raise PaymentError(str(error)) from error
    transaction.status = BankTransaction.Status.PAID
    _decided(transaction, by, ["status"])
    return transaction
