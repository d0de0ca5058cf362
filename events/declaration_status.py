"""Where a declaration stands for entries: the event's current version, what the driver and the passenger have
signed (``events/declarations.py`` says which signature counts for which entry). Read for "My entries", the sign
page, the gate and its offline list, always for a batch of entries in a constant number of queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from events.declarations import DeclarationSignature, DeclarationVersion, Passenger
from events.models import Entry

DRIVER, PASSENGER = DeclarationSignature.Role.DRIVER, DeclarationSignature.Role.PASSENGER


@dataclass
class DeclarationState:
    required: bool
    current: DeclarationVersion | None = None
    driver: DeclarationSignature | None = None  # the driver's newest signature in the event
    passenger_name: str = ""
    passenger: DeclarationSignature | None = None  # the passenger's newest, given after they were named

    @property
    def version(self) -> int | None:
        return self.current.number if self.current else None

    @property
    def driver_signed(self) -> bool:
        return bool(self.current and self.driver and self.driver.version_id == self.current.pk)

    @property
    def passenger_signed(self) -> bool:
        return bool(self.current and self.passenger and self.passenger.version_id == self.current.pk)

    @property
    def complete(self) -> bool:
        """Nothing left to sign (the driver, and the passenger if one is named)."""
        return self.driver_signed and (self.passenger_signed or not self.passenger_name)

    def state(self, role: str) -> str:
        """ "signed", "again" (an older version was signed), "unsigned", or "unpublished" (nothing to sign yet)."""
        if self.current is None:
            return "unpublished"
        signature = self.driver if role == DRIVER else self.passenger
        if signature is None:
            return "unsigned"
        return "signed" if signature.version_id == self.current.pk else "again"


def declaration_states(entries: Iterable[Entry]) -> dict[int, DeclarationState]:
    """Per entry id, its declaration's state; entries of sessions needing none are ``required=False`` and cost no
    query. Needs ``entry.session`` loaded."""
    entries = list(entries)
    states = {e.pk: DeclarationState(required=e.session.declaration_required) for e in entries}
    needed = [e for e in entries if e.session.declaration_required]
    if not needed:
        return states
    events = {e.session.event_id for e in needed}
    current: dict[int, DeclarationVersion] = {}
    for version in DeclarationVersion.objects.filter(declaration__event__in=events).select_related("declaration"):
        known = current.get(version.declaration.event_id)
        if known is None or version.number > known.number:
            current[version.declaration.event_id] = version
    drivers = {e.driver_id for e in needed if e.driver_id}
    signed = DeclarationSignature.objects.filter(version__declaration__event__in=events).select_related(
        "version__declaration", "entry"
    )
    by_driver: dict[tuple[int, int], DeclarationSignature] = {}
    for signature in signed.filter(role=DRIVER, entry__driver__in=drivers):
        key = (signature.entry.driver_id, signature.version.declaration.event_id)
        by_driver[key] = _newer(by_driver.get(key), signature)
    ids = [e.pk for e in needed]
    passengers = {p.entry_id: p for p in Passenger.objects.filter(entry__in=ids)}
    by_entry: dict[int, DeclarationSignature] = {}
    for signature in signed.filter(role=PASSENGER, entry__in=ids):
        passenger = passengers.get(signature.entry_id)
        if passenger and signature.signed_at >= passenger.named_at:
            by_entry[signature.entry_id] = _newer(by_entry.get(signature.entry_id), signature)
    for entry in needed:
        state = states[entry.pk]
        event = entry.session.event_id
        state.current = current.get(event)
        state.driver = by_driver.get((entry.driver_id, event)) if entry.driver_id else None
        passenger = passengers.get(entry.pk)
        state.passenger_name = passenger.name if passenger else ""
        state.passenger = by_entry.get(entry.pk) if state.passenger_name else None
    return states


def _newer(old: DeclarationSignature | None, new: DeclarationSignature) -> DeclarationSignature:
    if old is None or (new.version.number, new.signed_at) > (old.version.number, old.signed_at):
        return new
    return old


def declaration_state(entry: Entry) -> DeclarationState:
    return declaration_states([entry])[entry.pk]
