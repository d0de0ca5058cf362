"""State changes of events: sign-ups, cancellations, the waitlist, convoy slots, the roster, messages and the
check-in. Views, admin actions and tests call these; none of them re-implements a rule.

Which module decides what:

- ``entries``: who has a place in a session — sign-up, cancellation, promotion from the waitlist, capacity,
  an organiser confirming a waitlisted car or moving a confirmed one back. Slot numbers of new places and the
  waitlist's order are decided here.
- ``convoy``: the order of the confirmed cars — one car's slot, the automatic numberings (sign-up order,
  colour groups, renumbering) and an order arranged by hand.
- ``publication``: what drivers are told about the convoy — publishing and unpublishing the roster, and the
  batched notices of slot changes after it is published.
- ``messages``: an organiser's messages to the drivers of an event or a session.
- ``payments``: places held until paid in sessions with a fee — marking paid (one entry, or a statement's
  transfers at once), extending a deadline, releasing the places whose deadline passed, reminders,
  reinstating an expired entry.
- ``checkin``: checking a confirmed car in at the gate, online or from a phone's queue of offline scans.
- ``declarations``: publishing a declaration's version, naming a passenger, signing.
- ``attention``: what the gate knows of an entry besides its ticket — the driver's emergency contact, an
  organiser's attention note — and their erasure after the event.
- ``_base``: what they share — ``EntryError``, the session lock every capacity rule relies on, the audited
  writers of entries, ``is_organiser``.

Import from here (``from events.services import entry_create``); the modules are where to read a rule.
"""

from events.services._base import EntryError, is_organiser
from events.services.attention import (
    Contact,
    attention_clear,
    attention_flag,
    emergency_contact_last,
    emergency_contact_set,
    gate_data_forget,
)
from events.services.checkin import (
    AlreadyCheckedIn,
    QueuedScan,
    ScanResult,
    checked_in_message,
    entry_check_in,
    gate_sync,
    scan_message,
)
from events.services.convoy import (
    AUTOMATIC_ORDERS,
    convoy_assign,
    convoy_assign_by_colour,
    convoy_assign_by_signup,
    convoy_order_seen,
    convoy_overwrites_hand_order,
    convoy_renumber,
    convoy_reorder,
    entry_set_slot,
)
from events.services.declarations import declaration_for, declaration_publish, declaration_sign, passenger_name
from events.services.entries import (
    entries_cancel_for_new_owner,
    entry_cancel,
    entry_confirm_from_waitlist,
    entry_create,
    entry_move_to_waitlist,
    payment_deadline,
    session_set_capacity,
    waitlist_promote,
)
from events.services.messages import entrant_message_check, entrant_message_recipients, entrant_message_send
from events.services.payments import (
    Transfer,
    entries_expire_overdue,
    entries_mark_paid,
    entry_extend_payment,
    entry_mark_paid,
    entry_reinstate,
    paid_mails_send,
    payment_reminders_send,
)
from events.services.publication import notices_send_due, roster_publish, roster_unpublish

__all__ = [
    "AUTOMATIC_ORDERS",
    "AlreadyCheckedIn",
    "Contact",
    "EntryError",
    "QueuedScan",
    "ScanResult",
    "Transfer",
    "attention_clear",
    "attention_flag",
    "checked_in_message",
    "convoy_assign",
    "convoy_assign_by_colour",
    "convoy_assign_by_signup",
    "convoy_order_seen",
    "convoy_overwrites_hand_order",
    "convoy_renumber",
    "convoy_reorder",
    "declaration_for",
    "declaration_publish",
    "declaration_sign",
    "emergency_contact_last",
    "emergency_contact_set",
    "entrant_message_check",
    "entrant_message_recipients",
    "entrant_message_send",
    "entries_cancel_for_new_owner",
    "entries_expire_overdue",
    "entries_mark_paid",
    "entry_cancel",
    "entry_check_in",
    "entry_confirm_from_waitlist",
    "entry_create",
    "entry_extend_payment",
    "entry_mark_paid",
    "entry_move_to_waitlist",
    "entry_reinstate",
    "entry_set_slot",
    "gate_data_forget",
    "gate_sync",
    "is_organiser",
    "notices_send_due",
    "passenger_name",
    "payment_deadline",
    "paid_mails_send",
    "payment_reminders_send",
    "roster_publish",
    "roster_unpublish",
    "scan_message",
    "session_set_capacity",
    "waitlist_promote",
]
