"""Events' part of changes made in the register (``register/signals.py``), in the same transaction."""

from __future__ import annotations

from django.dispatch import receiver

from events.models import Entry
from events.services import entries_cancel_for_new_owner, entry_cancel
from register.signals import account_closing, car_owner_changed


@receiver(car_owner_changed, dispatch_uid="events.cancel_entries_of_a_car_that_changed_hands")
def cancel_entries_of_a_car_that_changed_hands(sender, *, car, by, **kwargs) -> list[Entry]:
    return entries_cancel_for_new_owner(car=car, by=by)


@receiver(account_closing, dispatch_uid="events.cancel_entries_of_a_closing_account")
def cancel_entries_of_a_closing_account(sender, *, user, **kwargs) -> list[Entry]:
    """Each entry of a session not yet over that the person drives or whose car they own: cancelled through
    ``entry_cancel`` (slot freed, waitlist promoted, emails sent)."""
    entries = Entry.objects.active().not_over().of_person(user).select_related("car").order_by("session_id", "pk")
    return [entry_cancel(entry=entry, by=user) for entry in entries]
