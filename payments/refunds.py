"""Refunds: money owed back to a payer, recorded as due, exported as one SEPA credit transfer file (pain.001)
for the club's online banking, marked done once the bank has sent it.

Two ways a refund is recorded:
- a paid entry is cancelled (``events.signals.entry_cancelled`` → ``payments.receivers``): by an organiser always,
  by its driver only before the event's refund cut-off (``Entry.refunded_if_cancelled``). The amount is the fee
  paid; the payer's name and IBAN come from the entry's matched credit. An entry paid in cash has none: its refund
  is paid in cash and never exported.
- a treasurer decides to return a credit that came too late or too much (``refund_create``).

Exporting takes the refunds' rows with ``SELECT … FOR UPDATE`` and re-reads them under the lock, so two exports at
once put each refund in one file only: the second finds it exported and leaves it out.
"""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Entry
from payments.models import BankTransaction, Refund
from payments.sepa import RefundLine, refunds_pain001
from register.models import User


class RefundError(Exception):
    """A rule of the refunds was broken; the message is for the user."""


def refund_for_cancelled_entry(*, entry: Entry, by: User | None, by_organiser: bool) -> Refund | None:
    """Record the refund a cancellation owes (inside the cancel's transaction): the fee of a paid entry, to the
    account it came from, when an organiser cancelled it or its driver did before ``refund_until``. None when
    nothing is owed, or when the entry already has an open refund."""
    if not entry.refunded_if_cancelled(by_organiser=by_organiser, now=entry.cancelled_at):
        return None
    if entry.refunds.filter(status__in=Refund.OPEN).exists():
        return None
    paid_by = entry.bank_transactions.filter(status=BankTransaction.Status.PAID).order_by("booked_on", "pk").first()
    reason = _("Cancelled by an organiser") if by_organiser else _("Cancelled by the driver")
    return Refund.objects.create(
        entry=entry,
        transaction=paid_by,
        amount=entry.amount_due,
        payer_name=paid_by.payer_name if paid_by else "",
        payer_iban=paid_by.payer_iban if paid_by else "",
        reason=reason,
    )


@transaction.atomic
def refund_create(*, transaction: BankTransaction, by: User | None, reason: str) -> Refund:
    """Return a credit the treasurer decided not to keep: a late one (its entry had expired or was cancelled)
    in full, an overpaid one by its excess over the entry's fee. The credit is then marked refunded (decided by
    ``by``). A credit has at most one open refund (also a constraint of the database)."""
    credit = BankTransaction.objects.select_for_update(of=("self",)).select_related("entry").get(pk=transaction.pk)
    if credit.status not in (BankTransaction.Status.LATE, BankTransaction.Status.OVERPAID):
        raise RefundError(_("Only a late or overpaid credit can be refunded here."))
    if credit.entry is None:
        raise RefundError(_("This credit is not assigned to an entry."))
    if credit.refunds.filter(status__in=Refund.OPEN).exists():
        raise RefundError(_("This credit already has an open refund."))
    amount = credit.amount
    if credit.status == BankTransaction.Status.OVERPAID:
        amount = credit.amount - (credit.entry.amount_due or 0)
        if amount <= 0:
            raise RefundError(_("This credit is not above the entry's fee: there is nothing to refund."))
    reason = " ".join((reason or "").split())
    refund = Refund.objects.create(
        entry=credit.entry,
        transaction=credit,
        amount=amount,
        payer_name=credit.payer_name,
        payer_iban=credit.payer_iban,
        reason=reason or credit.get_status_display(),
    )
    credit.status = BankTransaction.Status.REFUNDED
    credit.decided_by = by
    credit.decided_at = timezone.now()
    credit.save(update_fields=["status", "decided_by", "decided_at"])
    return refund


def export_id_new(now: datetime.datetime) -> str:
    """A pain.001 message id: the day and a random part, so no two files share one (banks refuse a repeat)."""
    return f"REFUNDS-{timezone.localtime(now):%Y%m%d}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def refunds_export(*, refunds, by: User | None, execution_date: datetime.date | None = None) -> tuple[bytes, str]:
    """One pain.001 file paying every due refund of ``refunds`` that has an IBAN, marked exported with the file's
    message id. Refunds already exported or done, and those without an IBAN (paid in cash), are left out; none
    left is a ``RefundError``. The rows are locked and re-read first, so a refund exported by another request
    at the same moment is not exported twice."""
    now = timezone.now()
    ids = [refund.pk for refund in refunds]
    due = list(
        Refund.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=Refund.Status.DUE)
        .exclude(payer_iban="")
        .select_related("entry")
        .order_by("created_at", "pk")
    )
    if not due:
        raise RefundError(_("None of these refunds is due with an IBAN: there is nothing to export."))
    export_id = export_id_new(now)
    lines = [
        RefundLine(
            name=refund.payer_name,
            iban=refund.payer_iban,
            amount=refund.amount,
            description=f"Refund {refund.entry.payment_reference or refund.entry.pk}",
        )
        for refund in due
    ]
    try:
        document = refunds_pain001(
            lines, execution_date=execution_date or timezone.localdate(now), message_id=export_id
        )
    except ValueError as error:
        raise RefundError(_("The file could not be built: %(error)s") % {"error": error}) from error
    Refund.objects.filter(pk__in=[refund.pk for refund in due]).update(
        status=Refund.Status.EXPORTED, exported_at=now, export_id=export_id
    )
    return document, export_id


@transaction.atomic
def refunds_mark_done(*, refunds, by: User | None) -> int:
    """The bank has sent these refunds (or the cash was paid): due or exported refunds become done, by ``by``.
    Returns how many changed; done ones stay as they were."""
    ids = [refund.pk for refund in refunds]
    # One UPDATE: its row locks and its re-checked condition keep a refund marked done once.
    return Refund.objects.filter(pk__in=ids, status__in=Refund.OPEN).update(
        status=Refund.Status.DONE, done_at=timezone.now(), done_by=by
    )
