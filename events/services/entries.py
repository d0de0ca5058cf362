"""Who has a place in a session: sign-up, cancellation, the waitlist and its promotion, capacity, and an
organiser's moves of one entry between the waitlist and the confirmed cars. They share the session lock
(``_base._lock_session``): each counts and numbers only under it.

Slot numbers: a new confirmed entry (a sign-up or a promotion from the waitlist) takes ``max(slot) + 1``
over the session's confirmed entries, never a gap left by a cancellation. That keeps the convoy order of
everyone already confirmed stable and puts late arrivals at the back; the gaps stay until an organiser
renumbers (``convoy_renumber``) or reassigns (``convoy_assign_by_*``, ``convoy_reorder``).

Fees: in a session with a fee (``Session.is_paid``) a free place is taken as *awaiting payment*: it counts
toward capacity like a confirmed one but has no slot and no valid ticket until the fee is marked paid
(``events.services.payments``), and it is released at its deadline (``payment_deadline``). A session without a
fee works as before.

Waitlist order: by sign-up time (``Entry.created``), then id. An entry moved back to the waitlist keeps its
original sign-up time, so it returns to the place its sign-up earned.

Mail: each change queues its emails in its own transaction (``events.emails`` → the outbox), so a
rolled-back change mails nobody and no request waits for the mail server.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from events import emails, signals
from events.models import Entry, Session
from events.payment_reference import payment_reference_new
from events.services._base import EntryError, _audited, _lock_session, _locked_entry, _save_entries, is_organiser
from events.services.attention import Contact, emergency_contact_save
from register.models import Car, User

# A place awaiting payment is released this long before its session starts at the latest.
PAYMENT_CLOSES_BEFORE_START = datetime.timedelta(hours=1)
# A deadline is never shorter than this, unless the session's start comes first.
PAYMENT_MIN_TIME = datetime.timedelta(hours=48)


def payment_deadline(session: Session, now: datetime.datetime) -> datetime.datetime | None:
    """When a place in a paid ``session`` taken at ``now`` is released unless its fee has arrived.

    The event's days to pay (``Event.payment_days``) from now, but never later than an hour before the session
    starts. When that leaves less than two days (few days to pay, or a sign-up close to the event), the deadline
    is 48 hours from now or an hour before the start, whichever comes first: a sign-up close to the event gets
    a shorter deadline, never one after the start. None once that hour before the start has come: no place is
    held awaiting payment any more (sign-ups are refused, nobody is promoted from the waitlist).
    """
    latest = session.starts_at - PAYMENT_CLOSES_BEFORE_START
    if now >= latest:
        return None
    due = min(now + datetime.timedelta(days=session.event.payment_days), latest)
    if due - now < PAYMENT_MIN_TIME:
        due = min(now + PAYMENT_MIN_TIME, latest)
    return due


def payment_reference_unused() -> str:
    """A new payment reference no entry has yet; the unique constraint catches the rare race of two drawing
    the same one at once (``_insert`` draws again)."""
    while True:
        reference = payment_reference_new()
        if not Entry.objects.filter(payment_reference=reference).exists():
            return reference


def _hold_place(entry: Entry, session: Session, due: datetime.datetime, now: datetime.datetime) -> None:
    """Make ``entry`` hold a place in the paid ``session`` until ``due`` (not saved): the fee as it is now, its
    own reference (kept if it has one), no slot. A deadline already inside the reminder window counts as
    reminded: the email that tells the deadline is sent now."""
    entry.status = Entry.Status.AWAITING_PAYMENT
    entry.slot = None
    entry.amount_due = session.fee
    entry.payment_reference = entry.payment_reference or payment_reference_unused()
    entry.payment_due = due
    entry.paid_at = None
    within_reminder = due - now <= datetime.timedelta(days=settings.PAYMENT_REMINDER_DAYS)
    entry.payment_reminded_at = now if within_reminder else None


PLACE_FIELDS = ["status", "slot", "amount_due", "payment_reference", "payment_due", "paid_at", "payment_reminded_at"]


def _session_stats(session: Session) -> tuple[int, int, bool]:
    """(places taken — confirmed or awaiting payment —, highest slot in use, anyone waitlisted) in one query:
    what every place decision of a session goes by."""
    stats = Entry.objects.filter(session=session).aggregate(
        count=Count("pk", filter=Q(status__in=Entry.HOLDING_PLACE)),
        top=Max("slot"),  # only confirmed entries have slots (entry_only_confirmed_have_slots)
        waiting=Count("pk", filter=Q(status=Entry.Status.WAITLISTED)),
    )
    return stats["count"], stats["top"] or 0, bool(stats["waiting"])


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


def entry_create(
    *,
    session: Session,
    car: Car,
    driver: User,
    requirements_confirmed: bool = False,
    signup_token: str = "",
    emergency_contact: Contact | None = None,
    now: datetime.datetime | None = None,
) -> Entry:
    """Sign ``car`` up for ``session``, driven by its owner.

    Rules: registration of the event is open and the session has not started at ``now``; only the car's
    owner signs it up; the session's requirements are confirmed when it has any; a car and a driver have at
    most one active entry per session. The owner is checked again under the car's lock (the one
    claim_approve takes first), then under the session lock: below capacity and with nobody waiting the
    entry is confirmed with the next slot number (max + 1), otherwise it joins the end of the waitlist (a place
    freed while cars wait is theirs: ``waitlist_promote`` or the organiser fills it). Pending (unverified)
    cars may sign up: registrars verify them before the event.

    ``now`` is only the moment the registration window and the session's start are checked against; the
    sign-up time is the real time the entry is written.

    ``signup_token`` is the sign-up form's own random token: a second post of the same form (a double click,
    also while the first is still being written) returns the entry the first created instead of refusing a
    second sign-up. One active entry per token (a unique constraint); a token of a cancelled entry signs up
    afresh. ``emergency_contact`` is kept with the entry for the organisers at the gate (``services.attention``).
    """
    event = session.event
    now = now or timezone.now()
    if now < event.registration_opens:
        raise EntryError(
            _("Registration for this event opens on %(date)s.")
            % {"date": formats.date_format(timezone.localtime(event.registration_opens), "DATETIME_FORMAT")}
        )
    if not event.registration_is_open(now):
        raise EntryError(_("Registration for this event has closed."))
    if session.starts_at <= now:
        # Registration may stay open over a gathering's days: a session under way takes nobody new.
        raise EntryError(_("This session has already started: it takes no more sign-ups."))
    if session.is_paid and payment_deadline(session, now) is None:
        raise EntryError(_("Sign-ups for a session with a fee close an hour before it starts."))
    if driver is None or car.owner_id is None or car.owner_id != driver.pk:
        raise EntryError(_("You can only sign up your own car."))
    if session.requirements.strip() and not requirements_confirmed:
        raise EntryError(_("Please confirm that you meet the requirements of this session."))
    # Cheap checks before the lock; the partial unique constraints catch the race below. One query, so a
    # sign-up committed meanwhile is seen for car and driver alike and the car is named first.
    taken = set(
        Entry.objects.active().filter(Q(car=car) | Q(driver=driver), session=session).values_list("car_id", flat=True)
    )
    if taken and (repeat := _signup_repeat(session, driver, signup_token)):
        return repeat
    if car.pk in taken:
        raise EntryError(_("This car is already signed up for this session."))
    if taken:
        raise EntryError(_("You already have a car signed up for this session."))

    # The ticket's QR code is drawn when its mail is sent (``emails``), not under the session's lock.
    entry = Entry(
        car=car, driver=driver, requirements_confirmed=requirements_confirmed, signup_token=signup_token or None
    )
    try:
        with transaction.atomic():
            # The owner as committed, under the car's lock: claim_approve holds it (then the sessions) while it
            # moves the car and cancels its entries, so a sign-up by the previous owner cannot slip in beside.
            owner_id = Car.objects.select_for_update(no_key=True).values_list("owner_id", flat=True).get(pk=car.pk)
            if owner_id != driver.pk:
                raise EntryError(_("You can only sign up your own car."))
            locked = _lock_session(session.pk)
            locked.event = event
            confirmed, top_slot, anyone_waiting = _session_stats(locked)
            entry.session = locked
            entry.created = timezone.now()
            due = payment_deadline(locked, entry.created) if locked.is_paid else None
            if confirmed < locked.capacity and not anyone_waiting:
                if due is not None:
                    _hold_place(entry, locked, due, entry.created)
                else:
                    entry.status = Entry.Status.CONFIRMED
                    entry.slot = top_slot + 1
            else:
                entry.status = Entry.Status.WAITLISTED
            _insert(_audited(entry, by=driver, reason=gettext_lazy("sign-up")))
            emergency_contact_save(entry, emergency_contact)
            if entry.status == Entry.Status.CONFIRMED:
                emails.entry_confirmed(entry)
            elif entry.status == Entry.Status.AWAITING_PAYMENT:
                emails.entry_awaiting_payment(entry)
            else:
                position = entry.waitlist_position
                emails.entry_waitlisted(entry, position=position)
    except IntegrityError as error:
        # A post of the same form committed meanwhile (this one waited for its locks): that is this sign-up.
        if repeat := _signup_repeat(session, driver, signup_token):
            return repeat
        constraint = _constraint_name(error)
        if constraint == "entry_one_active_per_signup_token":  # only a form tampered with shares a token
            raise EntryError(_("This form has been sent before. Reload the page to sign up.")) from error
        if constraint in ("entry_one_active_per_car_per_session", "entry_one_active_per_driver_per_session"):
            # When the same car and driver race, either index may report first: name the car if it is in.
            if Entry.objects.active().filter(session=session, car=car).exists():
                raise EntryError(_("This car is already signed up for this session.")) from error
            raise EntryError(_("You already have a car signed up for this session.")) from error
        # Anything else (e.g. two equal slot numbers) is a bug, not a user error: let it surface.
        raise
    return entry


def _insert(entry: Entry, attempts: int = 5) -> None:
    """Save a new entry; a payment reference drawn by another sign-up at the same moment is drawn again."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
            return
        except IntegrityError as error:
            if entry.payment_reference is None or "payment_reference" not in _constraint_name(error):
                raise
            if attempt == attempts - 1:
                raise
            entry.payment_reference = payment_reference_unused()


def _signup_repeat(session: Session, driver: User, token: str) -> Entry | None:
    """The driver's active entry in ``session`` that a post of the sign-up form with ``token`` created."""
    if not token:
        return None
    return Entry.objects.active().filter(session=session, driver=driver, signup_token=token).first()


@transaction.atomic
def entry_cancel(*, entry: Entry, by: User | None) -> Entry:
    """Cancel an entry; the entry is kept, its slot freed, and the first waitlisted car promoted.

    Rules: only the driver, the car's owner or an organiser (staff with the change-entry permission) may
    cancel; an entry is cancelled once, and only until its session ends. In the same locked transaction the
    freed place goes to the head of the waitlist with the next slot number; the other slots stay as they are
    until an organiser renumbers.
    """
    if by is None or not (by.pk in (entry.driver_id, entry.car.owner_id) or is_organiser(by)):
        raise EntryError(_("You can only cancel your own entries."))
    own = by.pk in (entry.driver_id, entry.car.owner_id)
    if own:
        return _cancel(entry, by=by, reason=gettext_lazy("cancelled by the driver"))
    return _cancel(entry, by=by, reason=gettext_lazy("cancelled by an organiser"), by_organiser=True)


@transaction.atomic
def entries_cancel_for_new_owner(*, car: Car, by: User | None) -> list[Entry]:
    """A car changed owner (an approved claim): cancel its active entries of sessions not yet over.

    Each is cancelled as ``entry_cancel`` does it (slot freed, waitlist promoted, the driver told by email).
    A sign-up is the driver's own decision (they confirmed the session's requirements), so it is not handed
    to the new owner, who may sign the car up again; entries of past sessions stay as the car's history.
    """
    entries = Entry.objects.active().not_over().filter(car=car).order_by("session_id", "pk")
    return [_cancel(entry, by=by, reason=gettext_lazy("cancelled: the car changed owner")) for entry in entries]


def _cancel(entry: Entry, *, by: User | None, reason: Promise, by_organiser: bool = False) -> Entry:
    session = _lock_session(entry.session_id)
    entry = Entry.objects.select_related("car", "driver").get(pk=entry.pk)
    if entry.status == Entry.Status.CANCELLED:
        raise EntryError(_("This entry is already cancelled."))
    if entry.status == Entry.Status.EXPIRED:
        raise EntryError(_("This entry has expired: its place was released when the payment deadline passed."))
    if session.is_over:
        # The car's history now (Entry.objects.not_over); a freed place would promote a car into the past.
        raise EntryError(_("This session is over: its entries can no longer be cancelled."))
    entry.status = Entry.Status.CANCELLED
    entry.slot = None
    entry.cancelled_at = timezone.now()
    _audited(entry, by=by, reason=reason).save(update_fields=["status", "slot", "cancelled_at"])
    # Payments records the refund of a paid fee (payments.receivers), in this transaction.
    signals.entry_cancelled.send(sender=Entry, entry=entry, by=by, by_organiser=by_organiser)
    emails.entry_cancelled(entry, by_organiser=by_organiser)
    _promote(session, by=by, reason=gettext_lazy("promoted from the waitlist after a cancellation"))
    return entry


def _promote(session: Session, *, by: User | None, reason: Promise) -> list[Entry]:
    """Fill the free places of a locked session from the head of the waitlist; a session that has started
    promotes nobody (nobody is emailed a place in a session under way or in the past).

    Into a paid session a promoted entry holds its place awaiting payment, with its own deadline from now
    (``payment_deadline``) and its own reference; once that is no longer possible (an hour before the start)
    nobody is promoted either."""
    if session.has_started:
        return []
    now = timezone.now()
    due = payment_deadline(session, now) if session.is_paid else None
    if session.is_paid and due is None:
        return []
    confirmed, top_slot, _waiting = _session_stats(session)
    free = session.capacity - confirmed
    if free <= 0:
        return []
    promoted = list(
        Entry.objects.waitlisted().filter(session=session).select_related("car", "driver", "session__event")[:free]
    )
    if not promoted:
        return []
    for offset, entry in enumerate(promoted, start=1):
        if due is not None:
            _hold_place(entry, session, due, now)
        else:
            entry.status = Entry.Status.CONFIRMED
            entry.slot = top_slot + offset
        _audited(entry, by=by, reason=reason)
    _save_entries(promoted, PLACE_FIELDS)
    for entry in promoted:
        _tell_promoted(entry)
    return promoted


def _tell_promoted(entry: Entry) -> None:
    if entry.status == Entry.Status.AWAITING_PAYMENT:
        emails.entry_awaiting_payment(entry, promoted=True)
    else:
        emails.entry_promoted(entry)


@transaction.atomic
def waitlist_promote(*, session: Session, by: User | None = None) -> list[Entry]:
    """Fill every free place (capacity − confirmed) from the waitlist, in sign-up order; returns the promoted.
    Nobody once the session is over."""
    locked = _lock_session(session.pk)
    return _promote(locked, by=by, reason=gettext_lazy("promoted from the waitlist"))


@transaction.atomic
def session_set_capacity(*, session: Session, capacity: int, by: User | None = None) -> Session:
    """Change a session's number of places.

    Never below the number of places taken, confirmed or awaiting payment (no silent bump, no silent removal):
    the organiser cancels or moves entries to the waitlist first. Raising it promotes from the waitlist straight
    away, unless the session has started.
    """
    if capacity is None or capacity < 0:
        raise EntryError(_("The capacity cannot be negative."))
    locked = _lock_session(session.pk)
    confirmed, _top, _waiting = _session_stats(locked)
    if capacity < confirmed:
        raise EntryError(
            ngettext(
                "%(count)d car is confirmed; cancel or move entries to the waitlist first.",
                "%(count)d cars are confirmed; cancel or move entries to the waitlist first.",
                confirmed,
            )
            % {"count": confirmed}
        )
    raised = capacity > locked.capacity
    locked.capacity = capacity
    locked.save(update_fields=["capacity"])
    if raised:
        _promote(locked, by=by, reason=gettext_lazy("promoted: capacity raised"))
    session.capacity = capacity
    return locked


@transaction.atomic
def entry_confirm_from_waitlist(*, entry: Entry, by: User | None) -> Entry:
    """Confirm a waitlisted entry out of turn (an organiser's decision), only if a place is free and the
    session is not over; in a paid session the place is held awaiting payment, with its own deadline."""
    session, entry = _locked_entry(entry)
    if entry.status != Entry.Status.WAITLISTED:
        raise EntryError(_("Only a waitlisted entry can be confirmed from the waitlist."))
    if session.is_over:
        raise EntryError(_("This session is over: its entries can no longer be changed."))
    confirmed, top_slot, _waiting = _session_stats(session)
    if confirmed >= session.capacity:
        raise EntryError(
            _("No place is free in this session: raise its capacity or move a car to the waitlist first.")
        )
    now = timezone.now()
    if session.is_paid:
        due = payment_deadline(session, now)
        if due is None:
            raise EntryError(_("This session starts within the hour: no place can be held awaiting payment."))
        _hold_place(entry, session, due, now)
    else:
        entry.status = Entry.Status.CONFIRMED
        entry.slot = top_slot + 1
    _audited(entry, by=by, reason=gettext_lazy("confirmed from the waitlist by an organiser")).save(
        update_fields=PLACE_FIELDS
    )
    _tell_promoted(entry)
    return entry


@transaction.atomic
def entry_move_to_waitlist(*, entry: Entry, by: User | None) -> Entry:
    """Move a confirmed entry back to the waitlist, freeing its slot (not once the session is over).

    It rejoins the waitlist at the place its original sign-up time gives it (usually near the head). The
    freed place is not filled automatically: that would often promote this very entry again; the organiser
    lowers the capacity, confirms someone or calls ``waitlist_promote``.
    """
    session, entry = _locked_entry(entry)
    if entry.status != Entry.Status.CONFIRMED:
        raise EntryError(_("Only a confirmed entry can be moved to the waitlist."))
    if session.is_over:
        raise EntryError(_("This session is over: its entries can no longer be changed."))
    entry.status = Entry.Status.WAITLISTED
    entry.slot = None
    _audited(entry, by=by, reason=gettext_lazy("moved to the waitlist by an organiser")).save(
        update_fields=["status", "slot"]
    )
    position = entry.waitlist_position
    emails.entry_waitlisted(entry, position=position)
    return entry
