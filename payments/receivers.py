"""Payments' part of changes made in events (``events/signals.py``), in the same transaction."""

from __future__ import annotations

from django.dispatch import receiver

from events.signals import entry_cancelled
from payments.models import Refund
from payments.refunds import refund_for_cancelled_entry


@receiver(entry_cancelled, dispatch_uid="payments.refund_a_cancelled_paid_entry")
def refund_a_cancelled_paid_entry(sender, *, entry, by, by_organiser, **kwargs) -> Refund | None:
    return refund_for_cancelled_entry(entry=entry, by=by, by_organiser=by_organiser)
