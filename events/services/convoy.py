"""The convoy's order: slot numbers of a session's confirmed cars, set one car at a time, by an automatic
numbering (sign-up order, colour groups, renumbering), or as a whole order an organiser arranged by hand.

Every change runs under the session lock, writes only the slots that change (audited), and notes the moved
cars' drivers for a notice when the event's roster is published (``publication._note_slot_changes``). The
unique constraint on (session, slot) is deferred to the commit, so many slots can move in one transaction.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from django.db import transaction
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from events.models import Entry, Session
from events.services._base import EntryError, _audited, _lock_session, _locked_entry, _save_entries
from events.services.publication import _note_slot_changes
from register.models import User


def _mark_hand_ordered(session: Session, value: bool) -> None:
    if session.convoy_hand_ordered != value:
        session.convoy_hand_ordered = value
        session.save(update_fields=["convoy_hand_ordered"])


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


# --- one car --------------------------------------------------------------------------------------------------


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


# --- automatic numberings ---------------------------------------------------------------------------------------


def _signup_order(session: Session) -> list[Entry]:
    """Sign-up order (created, then id): first come, first behind the pace car."""
    return list(
        Entry.objects.confirmed().filter(session=session).select_related("car__colour").order_by("created", "pk")
    )


def _colour_order(session: Session) -> list[Entry]:
    """Grouped by colour, for the photo convoy: the largest colour group first; groups of equal size follow
    the colours' order (sort_order, then name); within a group, sign-up order."""
    entries = _signup_order(session)
    sizes: dict[int, int] = {}
    for entry in entries:
        sizes[entry.car.colour_id] = sizes.get(entry.car.colour_id, 0) + 1

    def group_key(entry: Entry):
        colour = entry.car.colour
        return (-sizes[colour.pk], colour.sort_order, colour.name, colour.pk)

    # sorted() is stable, so sign-up order is kept inside each colour group.
    return sorted(entries, key=group_key)


def _current_order(session: Session) -> list[Entry]:
    """The current slot order, entries without a slot last (by sign-up): renumbering closes the gaps."""
    return list(Entry.objects.confirmed().filter(session=session).in_slot_order())


class Numbering(NamedTuple):
    """An automatic numbering: how it orders a session's confirmed cars (reads only; the services lock
    first), the reason the audit trail gives, and whether the result replaces an order made by hand."""

    order: Callable[[Session], list[Entry]]
    reason: Promise
    replaces_hand_order: bool


AUTOMATIC_ORDERS = {
    "signup": Numbering(_signup_order, gettext_lazy("auto-assign by sign-up"), replaces_hand_order=True),
    "colour": Numbering(_colour_order, gettext_lazy("auto-assign by colour"), replaces_hand_order=True),
    # A hand-made order stays hand-made: only its numbers change.
    "renumber": Numbering(_current_order, gettext_lazy("renumbered"), replaces_hand_order=False),
}


def convoy_overwrites_hand_order(*, session: Session, method: str) -> int:
    """How many cars of a hand-ordered convoy an automatic numbering (``AUTOMATIC_ORDERS``) would move; 0
    when the order was not made by hand or nothing would move. Reads only: the admin asks with it first."""
    if not Session.objects.filter(pk=session.pk, convoy_hand_ordered=True).exists():
        return 0
    ordered = AUTOMATIC_ORDERS[method].order(session)
    return sum(1 for number, entry in enumerate(ordered, start=1) if entry.slot != number)


@transaction.atomic
def convoy_assign(*, session: Session, method: str, by: User | None) -> list[Entry]:
    """Slots 1..N in the order of an automatic numbering (``method``: a key of ``AUTOMATIC_ORDERS``).

    Sign-up and colour order replace an order made by hand (the convoy no longer counts as hand-ordered);
    renumbering keeps it and only closes the gaps.
    """
    numbering = AUTOMATIC_ORDERS[method]
    locked = _lock_session(session.pk)
    if numbering.replaces_hand_order:
        _mark_hand_ordered(locked, False)
    return _apply_order(numbering.order(locked), session=locked, by=by, reason=numbering.reason)


def convoy_assign_by_signup(*, session: Session, by: User | None) -> list[Entry]:
    """Slots 1..N in sign-up order (created, then id): first come, first behind the pace car."""
    return convoy_assign(session=session, method="signup", by=by)


def convoy_assign_by_colour(*, session: Session, by: User | None) -> list[Entry]:
    """Slots 1..N grouped by colour, for the photo convoy.

    The largest colour group drives first; groups of equal size follow the colours' order (sort_order, then
    name); within a group, sign-up order.
    """
    return convoy_assign(session=session, method="colour", by=by)


def convoy_renumber(*, session: Session, by: User | None) -> list[Entry]:
    """Close the gaps: slots 1..N keeping the current order (entries without a slot go last, by sign-up).
    A hand-made order stays hand-made: only its numbers change."""
    return convoy_assign(session=session, method="renumber", by=by)


# --- an order made by hand --------------------------------------------------------------------------------------


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
