"""The check-in at the gate: a confirmed car is checked in once, audited with who did it and when.

The gate page's reads (find a ticket, the day's counts) live in ``events.checkin``; this is the state change.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Entry
from events.services._base import EntryError, _audited, _locked_entry
from register.models import User


class AlreadyCheckedIn(EntryError):
    """The car was checked in before; the message says when and by whom."""


@transaction.atomic
def entry_check_in(*, entry: Entry, by: User | None) -> Entry:
    """Check a confirmed car in, once; audited with who did it. Any day: gates open the evening before too.

    A waitlisted, awaiting payment, expired or cancelled entry has no valid ticket and is refused; a second
    check-in is refused with the time and the organiser of the first (``AlreadyCheckedIn``).
    """
    _session, entry = _locked_entry(entry)
    if entry.status == Entry.Status.WAITLISTED:
        raise EntryError(_("This car is on the waitlist: it has no place in this session and cannot be checked in."))
    if entry.status == Entry.Status.AWAITING_PAYMENT:
        raise EntryError(_("This entry is awaiting payment: it has no valid ticket until the fee is paid."))
    if entry.status == Entry.Status.EXPIRED:
        raise EntryError(_("This entry has expired: its fee was not paid by the deadline, so it has no valid ticket."))
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
