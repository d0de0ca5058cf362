"""The models of events, one module per concern: ``events`` (events and sessions), ``entries`` (sign-ups,
their tickets and payments), ``mail`` (notices, messages to entrants, the roster cache's generation)."""

from events.models.entries import Entry, EntryQuerySet
from events.models.events import Event, EventQuerySet, Session, SessionQuerySet
from events.models.mail import EntrantMessage, EntrantMessageRecipient, PendingNotice, RosterGeneration

__all__ = [
    "EntrantMessage",
    "EntrantMessageRecipient",
    "Entry",
    "EntryQuerySet",
    "Event",
    "EventQuerySet",
    "PendingNotice",
    "RosterGeneration",
    "Session",
    "SessionQuerySet",
]
