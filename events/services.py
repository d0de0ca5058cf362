"""State changes of events: sign-ups, cancellations, the waitlist, convoy slots and the roster.

Views, admin actions and tests call these; none of them re-implements a rule.

Locking: every function that changes who is confirmed, or which slot a car has, locks the session row
(``SELECT … FOR UPDATE``) inside one transaction before it counts or numbers anything, so two requests for
the same session are serialised and capacity can never be overshot (the pretalx way; READ COMMITTED).

Slot numbers: a new confirmed entry (a sign-up or a promotion from the waitlist) takes ``max(slot) + 1``
over the session's confirmed entries, never a gap left by a cancellation. That keeps the convoy order of
everyone already confirmed stable and puts late arrivals at the back; the gaps stay until an organiser
renumbers (``convoy_renumber``) or reassigns (``convoy_assign_by_*``, ``convoy_reorder``).

Waitlist order: by sign-up time (``Entry.created``), then id. An entry moved back to the waitlist keeps its
original sign-up time, so it returns to the place its sign-up earned.

Mail: each change queues its emails in its own transaction (``events.emails`` → the outbox), so a
rolled-back change mails nobody and no request waits for the mail server.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, override
from simple_history.utils import bulk_update_with_history

from events import emails, tickets
from events.models import (
    EntrantMessage,
    EntrantMessageRecipient,
    Entry,
    Event,
    PendingNotice,
    Session,
)
from register.models import Car, User


class EntryError(Exception):
    """A rule of the events was broken; the message is for the user."""


# --- locking ---------------------------------------------------------------------------------------------


def _lock_session(session_id: int) -> Session:
    """Lock the session row until the end of the transaction: the one lock every capacity rule relies on."""
    return Session.objects.select_for_update().get(pk=session_id)


def _session_stats(session: Session) -> tuple[int, int, bool]:
    """(confirmed entries, highest slot in use, anyone waitlisted) in one query: what every place decision
    of a session goes by."""
    stats = Entry.objects.filter(session=session).aggregate(
        count=Count("pk", filter=Q(status=Entry.Status.CONFIRMED)),
        top=Max("slot"),  # only confirmed entries have slots (entry_only_confirmed_have_slots)
        waiting=Count("pk", filter=Q(status=Entry.Status.WAITLISTED)),
    )
    return stats["count"], stats["top"] or 0, bool(stats["waiting"])


# --- audit -----------------------------------------------------------------------------------------------


def _audited(entry: Entry, *, by: User | None, reason: Promise) -> Entry:
    """Say who changes ``entry`` and why: django-simple-history writes both into the snapshot it takes when
    the entry is saved (``save()``) or bulk-updated (``_save_entries``), in the same transaction.

    ``reason`` is a lazy translation, stored in the site's language (English) whoever acts, so that the audit
    trail can show every reason in its reader's language (``events.admin.change_reason``)."""
    entry._history_user = by  # None stays None: a change by nobody is not the request's user's
    with override(settings.LANGUAGE_CODE):
        entry._change_reason = str(reason)[:100]
    return entry


def _save_entries(entries: Sequence[Entry], fields: list[str]) -> None:
    """``bulk_update`` with a history snapshot per entry (one more INSERT for all of them): the audited
    writer for many entries at once, since simple-history's signals do not see a ``bulk_update``."""
    bulk_update_with_history(entries, Entry, fields)


def is_organiser(user: User | None) -> bool:
    """Staff with the permission to change entries (the "Organisers" group, or a superuser)."""
    return bool(user and user.is_active and user.is_staff and user.has_perm("events.change_entry"))


def _constraint_name(error: IntegrityError) -> str:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", "") or ""


# --- sign-up and cancellation ------------------------------------------------------------------------------


def entry_create(
    *,
    session: Session,
    car: Car,
    driver: User,
    requirements_confirmed: bool = False,
    signup_token: str = "",
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
    afresh.
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

    # The entry draws its ticket token now, so that its QR code is drawn before the lock: drawing it takes
    # longer than all the lock covers, and every sign-up for the session waits while the lock is held. Not for
    # a session already full (a waitlisted entry has no ticket); if a place frees meanwhile, the confirmation
    # draws it under the lock.
    entry = Entry(
        car=car, driver=driver, requirements_confirmed=requirements_confirmed, signup_token=signup_token or None
    )
    confirmed, _top_slot, anyone_waiting = _session_stats(session)
    ticket_image = tickets.qr_png(entry.ticket_token) if confirmed < session.capacity and not anyone_waiting else None
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
            if confirmed < locked.capacity and not anyone_waiting:
                entry.status = Entry.Status.CONFIRMED
                entry.slot = top_slot + 1
            else:
                entry.status = Entry.Status.WAITLISTED
            _audited(entry, by=driver, reason=gettext_lazy("sign-up")).save(force_insert=True)
            if entry.status == Entry.Status.CONFIRMED:
                emails.entry_confirmed(entry, ticket_image=ticket_image)
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
    if session.is_over:
        # The car's history now (Entry.objects.not_over); a freed place would promote a car into the past.
        raise EntryError(_("This session is over: its entries can no longer be cancelled."))
    entry.status = Entry.Status.CANCELLED
    entry.slot = None
    entry.cancelled_at = timezone.now()
    _audited(entry, by=by, reason=reason).save(update_fields=["status", "slot", "cancelled_at"])
    emails.entry_cancelled(entry, by_organiser=by_organiser)
    _promote(session, by=by, reason=gettext_lazy("promoted from the waitlist after a cancellation"))
    return entry


def _promote(session: Session, *, by: User | None, reason: Promise) -> list[Entry]:
    """Fill the free places of a locked session from the head of the waitlist; a session that is over
    promotes nobody (its entries are history, and nobody is emailed a place in the past)."""
    if session.is_over:
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
        entry.status = Entry.Status.CONFIRMED
        entry.slot = top_slot + offset
        _audited(entry, by=by, reason=reason)
    _save_entries(promoted, ["status", "slot"])
    for entry in promoted:
        emails.entry_promoted(entry)
    return promoted


@transaction.atomic
def waitlist_promote(*, session: Session, by: User | None = None) -> list[Entry]:
    """Fill every free place (capacity − confirmed) from the waitlist, in sign-up order; returns the promoted.
    Nobody once the session is over."""
    locked = _lock_session(session.pk)
    return _promote(locked, by=by, reason=gettext_lazy("promoted from the waitlist"))


@transaction.atomic
def session_set_capacity(*, session: Session, capacity: int, by: User | None = None) -> Session:
    """Change a session's number of places.

    Never below the number of confirmed cars (no silent bump, no silent removal): the organiser cancels or
    moves entries to the waitlist first. Raising it promotes from the waitlist straight away, unless the
    session is over.
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


# --- organiser actions on one entry ------------------------------------------------------------------------


def _locked_entry(entry: Entry) -> tuple[Session, Entry]:
    session = _lock_session(entry.session_id)
    return session, Entry.objects.select_related("car", "driver", "session__event", "checked_in_by").get(pk=entry.pk)


@transaction.atomic
def entry_confirm_from_waitlist(*, entry: Entry, by: User | None) -> Entry:
    """Confirm a waitlisted entry out of turn (an organiser's decision), only if a place is free and the
    session is not over."""
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
    entry.status = Entry.Status.CONFIRMED
    entry.slot = top_slot + 1
    _audited(entry, by=by, reason=gettext_lazy("confirmed from the waitlist by an organiser")).save(
        update_fields=["status", "slot"]
    )
    emails.entry_promoted(entry)
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


class AlreadyCheckedIn(EntryError):
    """The car was checked in before; the message says when and by whom."""


@transaction.atomic
def entry_check_in(*, entry: Entry, by: User | None) -> Entry:
    """Check a confirmed car in, once; audited with who did it. Any day: gates open the evening before too.

    A waitlisted or cancelled entry has no valid ticket and is refused; a second check-in is refused with
    the time and the organiser of the first (``AlreadyCheckedIn``).
    """
    _session, entry = _locked_entry(entry)
    if entry.status == Entry.Status.WAITLISTED:
        raise EntryError(_("This car is on the waitlist: it has no place in this session and cannot be checked in."))
    if entry.status != Entry.Status.CONFIRMED:
        raise EntryError(_("This entry is cancelled: it cannot be checked in."))
    if entry.checked_in_at is not None:
        raise AlreadyCheckedIn(checked_in_message(entry))
    entry.checked_in_at = timezone.now()
    entry.checked_in_by = by
    _audited(entry, by=by, reason=gettext_lazy("checked in")).save(update_fields=["checked_in_at", "checked_in_by"])
    return entry


def checked_in_message(entry: Entry) -> str:
    """ "Already checked in at 09:12 by Orla Organiser." (needs ``checked_in_by`` loaded for one query less)."""
    when = timezone.localtime(entry.checked_in_at).strftime("%H:%M")
    if entry.checked_in_by_id is None:
        return _("Already checked in at %(time)s.") % {"time": when}
    return _("Already checked in at %(time)s by %(organiser)s.") % {"time": when, "organiser": entry.checked_in_by}


@transaction.atomic
def entry_set_slot(*, entry: Entry, slot: int, by: User | None) -> Entry | None:
    """Give one confirmed car a slot number; if another car holds it, the two swap. Returns that other car's
    entry (now in the old slot), or None when nobody was moved, so the organiser can be told.

    The unique constraint on (session, slot) is deferred to the commit, so the swap is one transaction.
    The convoy counts as ordered by hand from then on.
    """
    try:
        slot = int(slot)
    except (TypeError, ValueError):
        raise EntryError(_("A slot number is a whole number from 1.")) from None
    if slot < 1:
        raise EntryError(_("A slot number is a whole number from 1."))
    session, entry = _locked_entry(entry)
    if entry.status != Entry.Status.CONFIRMED:
        raise EntryError(_("Only a confirmed entry has a slot."))
    if entry.slot == slot:
        return None
    old_slot = entry.slot
    changed = [_audited(entry, by=by, reason=gettext_lazy("slot set by an organiser"))]
    occupant = (
        Entry.objects.confirmed().filter(session=session, slot=slot).exclude(pk=entry.pk).select_related("car").first()
    )
    if occupant is not None:
        occupant.slot = old_slot
        changed.append(
            _audited(occupant, by=by, reason=format_lazy(gettext_lazy("slot swapped with {car}"), car=entry.car))
        )
    entry.slot = slot
    _save_entries(changed, ["slot"])
    _mark_hand_ordered(session, True)
    _note_slot_changes(session, changed)
    return occupant


# --- organiser actions on a whole convoy ---------------------------------------------------------------------


def _apply_order(entries: Sequence[Entry], *, session: Session, by: User | None, reason: Promise) -> list[Entry]:
    """Number ``entries`` 1..N in the given order; write only what changed, audit every change, and note
    the moved cars' drivers for a notice when the roster is published."""
    changed = []
    for number, entry in enumerate(entries, start=1):
        if entry.slot != number:
            entry.slot = number
            changed.append(_audited(entry, by=by, reason=reason))
    # Intermediate duplicates are fine: the unique constraint is checked at commit.
    _save_entries(changed, ["slot"])
    _note_slot_changes(session, changed)
    return list(entries)


def _confirmed_in_signup_order(session: Session) -> list[Entry]:
    return list(
        Entry.objects.confirmed().filter(session=session).select_related("car__colour").order_by("created", "pk")
    )


def _by_colour(entries: list[Entry]) -> list[Entry]:
    """The largest colour group first; equal sizes in the colours' order (sort_order, then name); within a
    group, the order given (sign-up)."""
    sizes: dict[int, int] = {}
    for entry in entries:
        sizes[entry.car.colour_id] = sizes.get(entry.car.colour_id, 0) + 1

    def group_key(entry: Entry):
        colour = entry.car.colour
        return (-sizes[colour.pk], colour.sort_order, colour.name, colour.pk)

    # sorted() is stable, so sign-up order is kept inside each colour group.
    return sorted(entries, key=group_key)


def _in_slot_order(session: Session) -> list[Entry]:
    return list(Entry.objects.confirmed().filter(session=session).in_slot_order())


# How each automatic numbering orders a session's confirmed cars (read-only; the services lock first).
AUTOMATIC_ORDERS = {
    "signup": _confirmed_in_signup_order,
    "colour": lambda session: _by_colour(_confirmed_in_signup_order(session)),
    "renumber": _in_slot_order,
}


def convoy_overwrites_hand_order(*, session: Session, method: str) -> int:
    """How many cars of a hand-ordered convoy an automatic numbering (``AUTOMATIC_ORDERS``) would move; 0
    when the order was not made by hand or nothing would move. Reads only: the admin asks with it first."""
    if not Session.objects.filter(pk=session.pk, convoy_hand_ordered=True).exists():
        return 0
    ordered = AUTOMATIC_ORDERS[method](session)
    return sum(1 for number, entry in enumerate(ordered, start=1) if entry.slot != number)


def _mark_hand_ordered(session: Session, value: bool) -> None:
    if session.convoy_hand_ordered != value:
        session.convoy_hand_ordered = value
        session.save(update_fields=["convoy_hand_ordered"])


@transaction.atomic
def convoy_assign_by_signup(*, session: Session, by: User | None) -> list[Entry]:
    """Slots 1..N in sign-up order (created, then id): first come, first behind the pace car."""
    locked = _lock_session(session.pk)
    _mark_hand_ordered(locked, False)
    return _apply_order(
        AUTOMATIC_ORDERS["signup"](locked), session=locked, by=by, reason=gettext_lazy("auto-assign by sign-up")
    )


@transaction.atomic
def convoy_assign_by_colour(*, session: Session, by: User | None) -> list[Entry]:
    """Slots 1..N grouped by colour, for the photo convoy.

    The largest colour group drives first; groups of equal size follow the colours' order (sort_order, then
    name); within a group, sign-up order.
    """
    locked = _lock_session(session.pk)
    _mark_hand_ordered(locked, False)
    return _apply_order(
        AUTOMATIC_ORDERS["colour"](locked), session=locked, by=by, reason=gettext_lazy("auto-assign by colour")
    )


@transaction.atomic
def convoy_renumber(*, session: Session, by: User | None) -> list[Entry]:
    """Close the gaps: slots 1..N keeping the current order (entries without a slot go last, by sign-up).
    A hand-made order stays hand-made: only its numbers change."""
    locked = _lock_session(session.pk)
    return _apply_order(AUTOMATIC_ORDERS["renumber"](locked), session=locked, by=by, reason=gettext_lazy("renumbered"))


def convoy_order_seen(entries: Iterable[Entry]) -> list[int]:
    """The convoy order a page shows (``entries`` in slot order) as the entry ids it posts back with a save:
    ``convoy_reorder`` compares them with the order it finds."""
    return [entry.pk for entry in entries]


def _kept_in_order(positions: Sequence[int]) -> set[int]:
    """The indexes of a longest increasing run in ``positions`` (patience sorting): the cars that kept their
    order relative to each other; the others are the fewest cars whose moves explain the new order."""
    tails: list[int] = []  # for each run length: the index ending the run with the smallest last position
    tail_positions: list[int] = []
    before: list[int | None] = []
    for index, position in enumerate(positions):
        length = bisect.bisect_left(tail_positions, position)
        before.append(tails[length - 1] if length else None)
        if length == len(tails):
            tails.append(index)
            tail_positions.append(position)
        else:
            tails[length] = index
            tail_positions[length] = position
    kept = set()
    index = tails[-1] if tails else None
    while index is not None:
        kept.add(index)
        index = before[index]
    return kept


# What a refusal names at most; the page below it shows the whole current order.
_CHANGES_NAMED = 8


def _order_changes(seen: Sequence[int], current: Sequence[Entry]) -> list[str]:
    """What differs between the order a page showed (entry ids) and the current one, in the page's words
    (places from 1, cars as the page names them): cars that joined or left, and the cars that moved."""
    place_seen = {pk: place for place, pk in enumerate(seen, start=1)}
    current_ids = {entry.pk for entry in current}
    changes = []
    still_there = [(place, entry) for place, entry in enumerate(current, start=1) if entry.pk in place_seen]
    kept = _kept_in_order([place_seen[entry.pk] for _place, entry in still_there])
    for place, entry in enumerate(current, start=1):
        if entry.pk not in place_seen:
            changes.append(_("%(car)s joined the convoy at place %(place)d") % {"car": entry.car, "place": place})
    for index, (place, entry) in enumerate(still_there):
        if index not in kept:
            changes.append(
                _("%(car)s moved to place %(place)d (was %(was)d)")
                % {"car": entry.car, "place": place, "was": place_seen[entry.pk]}
            )
    gone = [pk for pk in seen if pk not in current_ids]
    for entry in Entry.objects.filter(pk__in=gone).select_related("car").order_by("pk"):
        changes.append(_("%(car)s left the convoy") % {"car": entry.car})
    return changes


@transaction.atomic
def convoy_reorder(*, session: Session, entry_ids: Iterable, seen: Sequence[int], by: User | None) -> list[Entry]:
    """Slots 1..N in the order given; ``entry_ids`` must be exactly the session's confirmed entries.

    ``seen`` is the order the organiser's page showed (``convoy_order_seen``). If the convoy's order has
    changed since (another organiser saved, a car joined or left), the save is refused with what changed,
    and nothing is written: a stale page must not undo another organiser's work or send notices for it.
    """
    try:
        ids = [int(pk) for pk in entry_ids]
        seen = [int(pk) for pk in seen]
    except (TypeError, ValueError):
        raise EntryError(_("The new order must list every confirmed car of this session exactly once.")) from None
    locked = _lock_session(session.pk)
    current = list(Entry.objects.confirmed().filter(session=locked).select_related("car").in_slot_order())
    if seen != convoy_order_seen(current):
        changes = _order_changes(seen, current)
        if len(changes) > _CHANGES_NAMED:
            more = len(changes) - _CHANGES_NAMED
            changes = [
                *changes[:_CHANGES_NAMED],
                ngettext("%(count)d more change", "%(count)d more changes", more) % {"count": more},
            ]
        raise EntryError(
            _(
                "Someone changed this convoy's order after you opened the page, so your order was not saved. "
                "Since then: %(changes)s. Below is the current order: make your moves again and save."
            )
            % {"changes": "; ".join(changes)}
        )
    by_id = {entry.pk: entry for entry in current}
    if len(ids) != len(set(ids)) or set(ids) != set(by_id):
        raise EntryError(_("The new order must list every confirmed car of this session exactly once."))
    _mark_hand_ordered(locked, True)
    return _apply_order([by_id[pk] for pk in ids], session=locked, by=by, reason=gettext_lazy("convoy reordered"))


# --- roster ------------------------------------------------------------------------------------------------------


@transaction.atomic
def roster_publish(*, event: Event) -> Event:
    """Make the event's roster public; publishing again keeps the first publication time.

    Publishing (not re-publishing an already public roster) queues one email to each confirmed driver with
    their session(s), slot(s) and ticket(s) of sessions not yet over (a roster of the past mails nobody);
    notices still waiting for that event are then moot.
    """
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if not locked.roster_published:
        locked.roster_published = True
        locked.roster_published_at = timezone.now()
        locked.save(update_fields=["roster_published", "roster_published_at"])
        _tell_roster_published(locked)
    event.roster_published, event.roster_published_at = locked.roster_published, locked.roster_published_at
    return locked


@transaction.atomic
def roster_unpublish(*, event: Event) -> Event:
    """Take the roster off the public pages (e.g. to fix the order); the publication time is cleared, and
    notices of slot changes still waiting are dropped: nobody is told about slots meanwhile, and publishing
    again tells every driver where they are."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    locked.roster_published = False
    locked.roster_published_at = None
    locked.save(update_fields=["roster_published", "roster_published_at"])
    PendingNotice.objects.filter(event=locked).delete()
    event.roster_published, event.roster_published_at = False, None
    return locked


def _tell_roster_published(event: Event) -> None:
    by_driver: dict[int, list[Entry]] = {}
    entries = (
        Entry.objects.confirmed()
        .not_over()
        .filter(session__event=event, driver__isnull=False)
        .select_related("session__event", "car__colour", "driver")
        .order_by("driver_id", "session__starts_at", "session__pk")
    )
    for entry in entries:
        by_driver.setdefault(entry.driver_id, []).append(entry)
    for driver_entries in by_driver.values():
        emails.roster_published(driver_entries[0].driver, event, driver_entries)
    PendingNotice.objects.filter(event=event).delete()


# --- notices of slot changes --------------------------------------------------------------------------------


def _note_slot_changes(session: Session, changed: Sequence[Entry]) -> None:
    """Note the drivers of ``changed`` entries for a notice when the event's roster is published: one row
    per driver and event whose send time moves on with every change, so a burst of changes is one email.
    Not for a session that is over: renumbering the past (an organiser tidying up, the demo data) tells
    nobody anything."""
    drivers = {entry.driver_id for entry in changed if entry.driver_id}
    if not drivers or session.is_over:
        return
    if not Event.objects.filter(pk=session.event_id, roster_published=True).exists():
        return
    send_after = timezone.now() + settings.NOTICE_BATCH_WINDOW
    PendingNotice.objects.bulk_create(
        [PendingNotice(driver_id=driver, event_id=session.event_id, send_after=send_after) for driver in drivers],
        update_conflicts=True,
        unique_fields=["driver", "event"],
        update_fields=["send_after"],
    )


@transaction.atomic
def notices_send_due(*, now: datetime.datetime | None = None) -> int:
    """Send each driver whose slot changes have settled (``send_after`` passed) one email with their
    current session(s) and slot(s) in the event, and forget the notice; returns how many were sent.

    Rows are taken with SKIP LOCKED, so two workers never tell a driver twice; a notice whose driver has no
    confirmed entry left in the event is dropped without an email (the cancellation told them), and so is
    one whose sessions are over by the time it is due: the email lists only sessions not yet over.
    """
    now = now or timezone.now()
    due = list(
        # of=self: only the notices are this task's to lock; a locked driver or event row must neither skip a
        # notice nor be held against sign-ups while the emails are written.
        PendingNotice.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(send_after__lte=now)
        .select_related("driver", "event")
    )
    if not due:
        return 0
    wanted = Q()
    for notice in due:
        wanted |= Q(driver_id=notice.driver_id, session__event_id=notice.event_id)
    entries: dict[tuple[int, int], list[Entry]] = {}
    for entry in (
        Entry.objects.confirmed()
        .not_over(now)
        .filter(wanted)
        .select_related("session__event", "car__colour")
        .order_by("session__starts_at", "session__pk")
    ):
        entries.setdefault((entry.driver_id, entry.session.event_id), []).append(entry)
    sent = 0
    for notice in due:
        mine = entries.get((notice.driver_id, notice.event_id))
        if mine:
            emails.slots_changed(notice.driver, notice.event, mine)
            sent += 1
    PendingNotice.objects.filter(pk__in=[notice.pk for notice in due]).delete()
    return sent


# --- messages to entrants -----------------------------------------------------------------------------------


def entrant_message_recipients(*, event: Event, session: Session | None, include_waitlisted: bool) -> list[User]:
    """The drivers a message reaches: confirmed (and, if asked, waitlisted) entries of the event's sessions not
    yet over, or of one of them; each driver once, by name."""
    statuses = [Entry.Status.CONFIRMED, Entry.Status.WAITLISTED] if include_waitlisted else [Entry.Status.CONFIRMED]
    entries = Entry.objects.not_over().filter(session__event=event, status__in=statuses)
    if session is not None:
        entries = entries.filter(session=session)
    return list(
        User.objects.filter(pk__in=entries.values("driver_id"), is_active=True)
        .exclude(email="")
        .order_by("display_name", "email")
    )


def entrant_message_check(*, event: Event, session: Session | None) -> None:
    """Raise ``EntryError`` when no message may go to these drivers: the session belongs to another event or
    is over, or (for the whole event) every session of the event is over. The message form asks the same."""
    if session is None:
        last_end = Session.objects.filter(event=event).aggregate(last=Max("ends_at"))["last"]
        if last_end is not None and last_end <= timezone.now():
            raise EntryError(_("Every session of this event is over: no message goes to its drivers."))
    elif session.event_id != event.pk:
        raise EntryError(_("This session belongs to another event."))
    elif session.is_over:
        raise EntryError(_("This session is over: no message goes to its drivers."))


@transaction.atomic
def entrant_message_send(
    *,
    event: Event,
    session: Session | None,
    include_waitlisted: bool,
    subject: str,
    body: str,
    by: User | None,
) -> EntrantMessage:
    """Send an organiser's message to the drivers of an event (or one session): queued in the outbox, one
    email per driver in their language around the organiser's text; the message and its recipients are kept.

    The subject and the text must not be empty; the session must belong to the event and not be over, and
    without a session one of the event's sessions must not be over (``entrant_message_check``): its drivers
    are those of sessions not yet over. A message that would reach nobody is refused.
    """
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not subject or not body:
        raise EntryError(_("A message needs a subject and a text."))
    entrant_message_check(event=event, session=session)
    recipients = entrant_message_recipients(event=event, session=session, include_waitlisted=include_waitlisted)
    if not recipients:
        raise EntryError(_("Nobody would get this message: no driver is entered there."))
    message = EntrantMessage.objects.create(
        event=event,
        session=session,
        include_waitlisted=include_waitlisted,
        subject=subject,
        body=body,
        sent_by=by,
    )
    EntrantMessageRecipient.objects.bulk_create(
        [EntrantMessageRecipient(message=message, user=user, email=user.email) for user in recipients]
    )
    for user in recipients:
        emails.entrant_message(user, message)
    return message
