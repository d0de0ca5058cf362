"""The gate's record of every scan (of the events app, imported by ``events/models.py``): each check-in, each
second scan of a car already checked in (a duplicate, kept and flagged), each refusal.

Why a record per scan and not only the entry's ``checked_in_at``: phones at the gate decide offline and upload
their queue later (``events.services.gate_sync``), so two gates may let the same car in, or a gate
may let in a car cancelled after its phone's download. The organisers see those next to the entry ("also
scanned at Gate B at 07:43") and in the admin's list of scans, as pretixSCAN's server does. The online "Check
in" button records its check-in here too (``online``), so a later phone's scan of the same car is a duplicate
whichever way the first one came.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# A queued scan is accepted until a day after the event's end (``event_gate_closes``); later, it is refused.
GATE_GRACE = datetime.timedelta(days=1)


class GateScan(models.Model):
    class Outcome(models.TextChoices):
        CHECKED_IN = "checked_in", _("Checked in")
        DUPLICATE = "duplicate", _("Duplicate")
        REFUSED = "refused", _("Refused")

    class Reason(models.TextChoices):
        """Why a scan did not check the car in (empty for a check-in)."""

        NONE = "", _("—")
        ALREADY = "already", _("already checked in")
        WAITLISTED = "waitlisted", _("waitlisted")
        AWAITING_PAYMENT = "awaiting_payment", _("awaiting payment")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")
        OTHER_EVENT = "other_event", _("another event")
        TOO_LATE = "too_late", _("uploaded too late")

    # The phone's random id of the scan: the same scan uploaded again is recognised, never recorded twice.
    nonce = models.UUIDField(_("scan id"), unique=True, editable=False)
    # The event whose gate scanned it (the entry may be of another event: then it was refused).
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, related_name="gate_scans", verbose_name=_("event")
    )
    entry = models.ForeignKey(
        "events.Entry", on_delete=models.PROTECT, related_name="gate_scans", verbose_name=_("entry")
    )
    scanned_at = models.DateTimeField(_("scanned at"), help_text=_("The phone's time, never later than received."))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    device = models.CharField(_("device"), max_length=40, blank=True, help_text=_("The phone's label."))
    online = models.BooleanField(
        _("online"),
        default=False,
        help_text=_("Checked in on the check-in page or in the admin, not by a phone's queue."),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason, blank=True, default=Reason.NONE)

    class Meta:
        ordering = ["scanned_at", "pk"]
        verbose_name = _("gate scan")
        verbose_name_plural = _("gate scans")
        constraints = [
            # One check-in per entry: a second scan is a duplicate (an earlier one uploaded later takes its place).
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(outcome="checked_in"), name="gate_scan_one_check_in_per_entry"
            ),
            models.CheckConstraint(
                condition=(models.Q(outcome="checked_in") & models.Q(reason=""))
                | (models.Q(outcome="duplicate") & models.Q(reason="already"))
                | (models.Q(outcome="refused") & ~models.Q(reason__in=["", "already"])),
                name="gate_scan_reason_fits_outcome",
            ),
        ]
        indexes = [models.Index(fields=["entry", "scanned_at"], name="gate_scan_entry_time")]

    def __str__(self):
        return f"{self.entry_id} {self.outcome} {self.scanned_at:%Y-%m-%d %H:%M}"

    @property
    def where(self) -> str:
        """The gate it came from, for people: the phone's label, or the online page."""
        if self.online:
            return gettext("the check-in page")
        return self.device or gettext("a phone without a name")

    @property
    def summary(self) -> str:
        """One line for the organisers next to the entry: "Also scanned at Gate B at 07:43 by Orla: a duplicate."
        (needs ``by`` loaded for one query less)."""
        values = {"where": self.where, "time": timezone.localtime(self.scanned_at).strftime("%H:%M")}
        if self.outcome == self.Outcome.CHECKED_IN:
            return gettext("Checked in at %(where)s at %(time)s.") % values
        if self.outcome == self.Outcome.DUPLICATE:
            return gettext("Also scanned at %(where)s at %(time)s: a duplicate, the car was already in.") % values
        return gettext("Refused at %(where)s at %(time)s: %(reason)s.") % {
            **values,
            "reason": self.get_reason_display(),
        }


def event_gate_closes(event, session_ends: list[datetime.datetime]) -> tuple[datetime.datetime, datetime.datetime]:
    """The event's end (the end of its last day in the site's time zone, or its last session's end if later)
    and the moment its gate stops taking queued scans (a day later, ``GATE_GRACE``)."""
    last_day = datetime.datetime.combine(event.ends_on + datetime.timedelta(days=1), datetime.time())
    ends_at = max([timezone.make_aware(last_day), *session_ends])
    return ends_at, ends_at + GATE_GRACE
