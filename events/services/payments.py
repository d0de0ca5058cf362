"""Places held until paid (sessions with a fee): marking a fee paid, moving a deadline, releasing the places
whose deadline has passed, the reminders before it, and giving an expired entry its place back.

They take the session lock (``_base._lock_session``) like every other change of who holds a place, and re-read
the entry under it: an entry marked paid while the expiry job waited is not expired, and an expired one is not
marked paid. Each change is audited with its reason (stored in English, shown in the reader's language).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events import emails
from events.models import Entry, Session
from events.services._base import EntryError, _audited, _lock_session, _locked_entry, _save_entries
from events.services.entries import _promote, _session_stats
from register.models import User


def _reason(reason: str) -> str:
    """An organiser's reason, one line, required."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise EntryError(_("Please give a reason: it is kept in the entry's history."))
    return reason


def _with_reason(standard: Promise, reason: str) -> Promise:
    """The change's standard reason followed by the organiser's own words, lazily: ``_audited`` stores it in
    English, and the audit trail translates the standard part for its reader (``events.admin.audit``) and shows
    the organiser's words as typed."""
    return format_lazy("{}: {}", standard, reason)


@transaction.atomic
def entry_mark_paid(*, entry: Entry, by: User | None, reason: str, paid_at: datetime.datetime | None = None) -> Entry:
    """The fee of an entry awaiting payment has arrived (a bank transfer matched, cash at the gate): the entry
    is confirmed with the next slot number and a valid ticket, and its driver is emailed the ticket in their
    language. Any other entry is refused (an expired one is reinstated instead: ``entry_reinstate``)."""
    reason = _reason(reason)
    session, entry = _locked_entry(entry)
    if entry.status == Entry.Status.EXPIRED:
        raise EntryError(_("This entry has expired: reinstate it if a place is free."))
    if entry.status != Entry.Status.AWAITING_PAYMENT:
        raise EntryError(_("This entry is not awaiting payment."))
    _confirm_paid(session, entry, by=by, paid_at=paid_at, reason=_with_reason(gettext_lazy("marked paid"), reason))
    return entry


def _confirm_paid(session, entry: Entry, *, by, paid_at, reason: Promise) -> None:
    _count, top_slot, _waiting = _session_stats(session)
    _confirmed(entry, slot=top_slot + 1, by=by, paid_at=paid_at, reason=reason).save(
        update_fields=["status", "slot", "paid_at"]
    )
    emails.entry_paid(entry)


def _confirmed(entry: Entry, *, slot: int, by, paid_at, reason: Promise) -> Entry:
    """``entry`` paid: confirmed with ``slot`` (the next of its session), audited; the caller saves it."""
    entry.status = Entry.Status.CONFIRMED
    entry.slot = slot
    entry.paid_at = paid_at or timezone.now()
    return _audited(entry, by=by, reason=reason)


class Transfer(NamedTuple):
    """A payment that names an entry, for ``entries_mark_paid``: how much, when it arrived, and the reason kept
    in the entry's history ("bank transfer 2031-08-02")."""

    entry_id: int
    amount: Decimal
    paid_at: datetime.datetime
    reason: str


@transaction.atomic
def entries_mark_paid(*, transfers: Sequence[Transfer], by: User | None) -> list[tuple[Entry, str]]:
    """Many transfers at once (a bank statement's), decided as ``entry_mark_paid`` would decide them one after
    the other, in their order: a transfer of exactly the amount due for an entry awaiting payment pays it
    (confirmed with the next slot of its session, its history row, the mail with the ticket); any other leaves
    its entry as it is. Returns, per transfer, its entry and the status the transfer found it in: awaiting
    payment with the amount due means this transfer paid it (a second one for the same entry finds it confirmed).

    One transaction and three writes for all of them instead of one each: the entries' sessions are locked
    (in id order, the lock ``entry_mark_paid`` takes for one entry), then the entries are read as committed
    under the locks, so the expiry job either released a place before (the transfer finds it expired) or
    finds the entry paid."""
    ids = {transfer.entry_id for transfer in transfers}
    session_ids = set(Entry.objects.filter(pk__in=ids).values_list("session_id", flat=True))
    sessions = list(Session.objects.select_for_update().filter(pk__in=session_ids).order_by("pk"))
    top_slot = {session.pk: _session_stats(session)[1] for session in sessions}
    entries = Entry.objects.select_related("car", "driver", "session__event").in_bulk(ids)
    found, paid = [], []
    for transfer in transfers:
        entry = entries[transfer.entry_id]
        found.append((entry, entry.status))
        if entry.status == Entry.Status.AWAITING_PAYMENT and transfer.amount == entry.amount_due:
            top_slot[entry.session_id] += 1
            reason = _with_reason(gettext_lazy("marked paid"), _reason(transfer.reason))
            paid.append(
                _confirmed(entry, slot=top_slot[entry.session_id], by=by, paid_at=transfer.paid_at, reason=reason)
            )
    for entry in paid:
        entry.paid_mail_due = True
    _save_entries(paid, ["status", "slot", "paid_at", "paid_mail_due"])
    if paid:
        emails.entries_paid_later()
    return found


PAID_MAILS_AT_ONCE = 500


def paid_mails_send() -> int:
    """Compose and queue the mails of the entries ``entries_mark_paid`` paid (the worker's job, deferred in the
    same transaction), PAID_MAILS_AT_ONCE to a transaction; returns how many were queued.

    Why the worker and not the import: a statement pays thousands of entries at once, and rendering a mail for
    each would keep the treasurer's upload waiting several seconds more (BENCHMARKS.md, "Bank statements").
    Each entry's flag is cleared in the transaction that queues its mail, under a row lock that a second worker
    skips: a mail is queued once, whichever job runs. An entry cancelled meanwhile gets no "paid" mail (its
    cancellation mail says what became of it)."""
    queued = 0
    while True:
        with transaction.atomic():
            due = list(
                Entry.objects.select_for_update(of=("self",), skip_locked=True)
                .filter(paid_mail_due=True)
                .select_related("car", "driver", "session__event")
                .order_by("pk")[:PAID_MAILS_AT_ONCE]
            )
            if not due:
                return queued
            confirmed = [entry for entry in due if entry.status == Entry.Status.CONFIRMED]
            emails.entries_paid(confirmed)
            Entry.objects.filter(pk__in=[entry.pk for entry in due]).update(paid_mail_due=False)
            queued += len(confirmed)


@transaction.atomic
def entry_extend_payment(*, entry: Entry, until: datetime.datetime, by: User | None, reason: str) -> Entry:
    """Move the payment deadline of an entry awaiting payment to ``until`` (later than now, not after the
    session starts); the driver is emailed the new deadline with the payment details."""
    reason = _reason(reason)
    session, entry = _locked_entry(entry)
    if entry.status != Entry.Status.AWAITING_PAYMENT:
        raise EntryError(_("This entry is not awaiting payment."))
    if until is None or until <= timezone.now():
        raise EntryError(_("The new deadline must be in the future."))
    if until > session.starts_at:
        raise EntryError(
            _("The deadline cannot be after the session starts (%(start)s).")
            % {"start": formats.date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT")}
        )
    entry.payment_due = until
    _audited(entry, by=by, reason=_with_reason(gettext_lazy("payment deadline extended"), reason)).save(
        update_fields=["payment_due"]
    )
    emails.entry_awaiting_payment(entry, extended=True)
    return entry


def entries_expire_overdue(*, now: datetime.datetime | None = None) -> list[Entry]:
    """Release every place whose payment deadline has passed: the entry expires, its driver is told, and the
    session's waitlist is promoted (into a paid session: each with their own deadline). Returns the expired.

    One transaction per session, under its lock; the overdue entries are read again under it, so one marked
    paid (or cancelled, or given more time) meanwhile is left as it is."""
    now = now or timezone.now()
    session_ids = sorted(set(Entry.objects.payment_overdue(now).values_list("session_id", flat=True)))
    expired: list[Entry] = []
    for session_id in session_ids:
        with transaction.atomic():
            session = _lock_session(session_id)
            due = list(
                Entry.objects.payment_overdue(now)
                .filter(session=session)
                .select_related("car", "driver", "session__event")
                .order_by("payment_due", "pk")
            )
            for entry in due:
                entry.status = Entry.Status.EXPIRED
                _audited(entry, by=None, reason=gettext_lazy("expired: not paid by the deadline"))
            _save_entries(due, ["status"])
            for entry in due:
                emails.entry_expired(entry)
            _promote(session, by=None, reason=gettext_lazy("promoted from the waitlist after an unpaid place expired"))
            expired.extend(due)
    return expired


@transaction.atomic
def payment_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind each driver whose place awaits payment once, ``PAYMENT_REMINDER_DAYS`` before the deadline (and
    not after it); returns how many were reminded. A place taken with its deadline already that close counts as
    reminded (``entries._hold_place``): the email that took it told the deadline. Rows are taken with SKIP
    LOCKED, so two workers never remind a driver twice."""
    now = now or timezone.now()
    window = now + datetime.timedelta(days=settings.PAYMENT_REMINDER_DAYS)
    due = list(
        Entry.objects.awaiting_payment()
        .select_for_update(skip_locked=True, of=("self",))
        .filter(payment_reminded_at__isnull=True, payment_due__gt=now, payment_due__lte=window)
        .select_related("car", "driver", "session__event")
        .order_by("payment_due", "pk")
    )
    for entry in due:
        entry.payment_reminded_at = now
        _audited(entry, by=None, reason=gettext_lazy("payment reminder sent"))
    _save_entries(due, ["payment_reminded_at"])
    for entry in due:
        emails.entry_payment_reminder(entry)
    return len(due)


@transaction.atomic
def entry_reinstate(*, entry: Entry, by: User | None, reason: str) -> Entry:
    """An expired entry whose payment arrived late gets its place back, confirmed and paid, if a place is free
    (capacity above the places taken) and the session has not started; else ``EntryError``: the payment is
    refunded instead. Cars on the waitlist do not stand in the way: this driver paid, they have not."""
    reason = _reason(reason)
    session, entry = _locked_entry(entry)
    if entry.status != Entry.Status.EXPIRED:
        raise EntryError(_("Only an expired entry can be reinstated."))
    if session.has_started:
        raise EntryError(_("This session has already started: its places can no longer be given."))
    if Entry.objects.active().filter(session=session, car_id=entry.car_id).exists():
        raise EntryError(_("This car is already signed up for this session."))
    if entry.driver_id and Entry.objects.active().filter(session=session, driver_id=entry.driver_id).exists():
        raise EntryError(_("This driver already has a car signed up for this session."))
    taken, _top, _waiting = _session_stats(session)
    if taken >= session.capacity:
        raise EntryError(_("No place is free in this session: the payment has to be refunded."))
    _confirm_paid(session, entry, by=by, paid_at=None, reason=_with_reason(gettext_lazy("reinstated"), reason))
    return entry
