"""Models of what drivers are told (of the events app, imported by ``events/models.py``): slot-change notices
waiting to go out, and organisers' messages to entrants with their recipients."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PendingNotice(models.Model):
    """A driver to tell about slot changes in a published event, once the changes have settled.

    One row per driver and event; every further change pushes ``send_after`` on, so a run of drags and
    renumberings within ``settings.NOTICE_BATCH_WINDOW`` of each other becomes one email (sent by the
    ``events.send_due_notices`` task of the mail queue).
    """

    driver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    send_after = models.DateTimeField(_("send after"))

    class Meta:
        verbose_name = _("pending notice")
        verbose_name_plural = _("pending notices")
        constraints = [models.UniqueConstraint(fields=["driver", "event"], name="pending_notice_one_per_driver")]

    def __str__(self):
        return f"{self.driver} — {self.event}"


class EntrantMessage(models.Model):
    """A message an organiser sent to the drivers entered for an event or one of its sessions; kept with
    the list of its recipients."""

    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="messages", verbose_name=_("event")
    )
    session = models.ForeignKey(
        "events.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("session"),
        help_text=_("Empty: every session of the event."),
    )
    include_waitlisted = models.BooleanField(_("waitlisted drivers too"), default=False)
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message to entrants")
        verbose_name_plural = _("messages to entrants")

    def __str__(self):
        return self.subject


class EntrantMessageRecipient(models.Model):
    message = models.ForeignKey(
        EntrantMessage, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("message")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("driver")
    )
    email = models.EmailField(_("email address"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")

    def __str__(self):
        return self.email
