"""The organisers' admin: events, sessions and their convoy order, entries, their audit trail, the gate's scans,
messages to drivers, and what approving a register claim does to entries.

One module per page family; importing them registers their ModelAdmins. Every state change calls a service.
"""

from events.admin import attention, audit, claims, declarations, entrant_messages, entries, events, gate, sessions
from events.admin.audit import change_reason, entry_audit_rows

__all__ = [
    "attention",
    "audit",
    "claims",
    "change_reason",
    "declarations",
    "entrant_messages",
    "entries",
    "entry_audit_rows",
    "events",
    "gate",
    "sessions",
]
