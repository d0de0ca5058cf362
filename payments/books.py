"""An event's books: every payment (bank transfer or cash), every refund and every amount still outstanding of
its entries, as rows for a CSV file, and their totals for the event's admin page. For treasurers (staff): the
driver is named in full.

A payment by bank transfer is each credit assigned to one of the event's entries, whatever its status (the money
is on the club's account: a late or overpaid credit too, until it is refunded). An entry marked paid with no
credit that made it paid (``PAID``, ``OVERPAID`` kept, ``REFUNDED`` excess) was paid in cash. Amounts are positive;
the kind says which way the money went (a leading minus would read as a formula).
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from events.exports import csv_cell
from events.models import Entry, Event
from payments.models import BankTransaction, Refund
from register import spreadsheet

# The credits that pay an entry by bank transfer: an entry marked paid with none of these was paid in cash.
PAID_BY_BANK = (BankTransaction.Status.PAID, BankTransaction.Status.OVERPAID, BankTransaction.Status.REFUNDED)


@dataclass(frozen=True)
class BooksRow:
    kind: str  # "bank", "cash", "refund", "outstanding"
    reference: str
    driver: str
    session: str
    amount: Decimal
    date: datetime.date | None
    status: str  # as the reader reads it
    state: str = ""  # the stored status value (of the credit, refund or entry)

    @property
    def kind_display(self) -> str:
        return {
            "bank": _("Payment by bank transfer"),
            "cash": _("Payment in cash"),
            "refund": _("Refund"),
            "outstanding": _("Outstanding"),
        }[self.kind]


@dataclass(frozen=True)
class BooksTotals:
    received: Decimal  # bank transfers and cash
    refunded: Decimal  # refunds done
    refunds_open: Decimal  # refunds due or exported
    outstanding: Decimal  # places awaiting payment

    @property
    def balance(self) -> Decimal:
        return self.received - self.refunded - self.refunds_open


def _driver(entry: Entry) -> str:
    if entry.driver is None:
        return ""
    return entry.driver.get_full_name() or entry.driver.email


def _day(moment) -> datetime.date | None:
    if moment is None:
        return None
    return timezone.localdate(moment) if isinstance(moment, datetime.datetime) else moment


def event_books_rows(event: Event) -> list[BooksRow]:
    """Every payment, refund and outstanding amount of the event's entries: sessions in time order, entries in
    sign-up order, each entry's payments, then its refunds, then what it still owes."""
    entries = (
        Entry.objects.filter(session__event=event)
        .select_related("session", "driver")
        .prefetch_related(
            Prefetch("bank_transactions", queryset=BankTransaction.objects.order_by("booked_on", "pk")),
            Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "pk")),
        )
        .order_by("session__starts_at", "session_id", "created", "pk")
    )
    rows: list[BooksRow] = []
    for entry in entries:
        common = {"reference": entry.payment_reference or "", "driver": _driver(entry), "session": entry.session.name}
        credits = list(entry.bank_transactions.all())
        for credit in credits:
            rows.append(
                BooksRow(
                    kind="bank",
                    amount=credit.amount,
                    date=credit.booked_on,
                    status=credit.get_status_display(),
                    state=credit.status,
                    **common,
                )
            )
        if entry.paid_at and entry.amount_due and not any(c.status in PAID_BY_BANK for c in credits):
            rows.append(
                BooksRow(
                    kind="cash",
                    amount=entry.amount_due,
                    date=_day(entry.paid_at),
                    status=entry.get_status_display(),
                    **common,
                )
            )
        for refund in entry.refunds.all():
            rows.append(
                BooksRow(
                    kind="refund",
                    amount=refund.amount,
                    date=_day(refund.done_at or refund.exported_at or refund.created_at),
                    status=refund.get_status_display(),
                    state=refund.status,
                    **common,
                )
            )
        if entry.status == Entry.Status.AWAITING_PAYMENT and entry.amount_due:
            rows.append(
                BooksRow(
                    kind="outstanding",
                    amount=entry.amount_due,
                    date=_day(entry.payment_due),
                    status=entry.get_status_display(),
                    **common,
                )
            )
    return rows


def event_books_totals(event: Event, rows: list[BooksRow] | None = None) -> BooksTotals:
    """What came in, what went (or is going) back and what is still owed, over ``event_books_rows``."""
    rows = event_books_rows(event) if rows is None else rows
    zero = Decimal("0.00")

    def total(kinds, *, done: bool | None = None) -> Decimal:
        return sum(
            (
                row.amount
                for row in rows
                if row.kind in kinds and (done is None or (row.state == Refund.Status.DONE) == done)
            ),
            zero,
        )

    return BooksTotals(
        received=total(("bank", "cash")),
        refunded=total(("refund",), done=True),
        refunds_open=total(("refund",), done=False),
        outstanding=total(("outstanding",)),
    )


def books_columns() -> list[str]:
    return [
        _("Reference"),
        _("Driver"),
        _("Session"),
        pgettext("books", "Kind"),
        _("Amount (EUR)"),
        _("Date"),
        _("Status"),
    ]


def event_books_csv(event: Event) -> list[list[str]]:
    """The CSV's rows after its header (``books_columns``), every cell formula-safe; amounts with the reader's
    decimal mark, dates ISO."""
    return [
        [
            csv_cell(row.reference),
            csv_cell(row.driver),
            csv_cell(row.session),
            csv_cell(row.kind_display),
            formats.number_format(row.amount, 2, use_l10n=True),
            row.date.isoformat() if row.date else "",
            csv_cell(row.status),
        ]
        for row in event_books_rows(event)
    ]


def event_books_file(event: Event, *, separator: str) -> str:
    """The whole CSV file, the way the app's other CSVs are written: a byte-order mark (spreadsheets then read
    UTF-8), the header, the rows; ``separator`` from ``register.spreadsheet.csv_separator``."""
    out = io.StringIO()
    out.write(spreadsheet.BOM)
    writer = csv.writer(out, delimiter=separator)
    writer.writerow(books_columns())
    writer.writerows(event_books_csv(event))
    return out.getvalue()
