"""The outbox: one row per email, written in the transaction of the change that causes it."""

from __future__ import annotations

import base64
from email import encoders
from email.mime.base import MIMEBase

from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common import qr

# Which staff read which mail, by the kind's area (the start of its template name) and the permission that
# makes someone staff of that area: organisers (who change entries) the events' mail, registrars (who decide
# claims) the register's. Account mail (allauth's ``account/``) and mail of no declared kind are for
# superusers only. The project has no per-event organiser, so "the mail their events caused" is the events area.
STAFF_AREAS = {
    "events/": "events.change_entry",
    "register/": "register.change_claim",
}


class MessageQuerySet(models.QuerySet):
    def queued(self):
        return self.filter(status=Message.Status.QUEUED)

    def failed(self):
        return self.filter(status=Message.Status.FAILED)

    def visible_to(self, user):
        """The messages ``user`` may see as staff: a superuser all, others their areas' (``STAFF_AREAS``)."""
        if user.is_superuser:
            return self.all()
        areas = Q()
        for prefix in areas_of(user):
            areas |= Q(kind__startswith=prefix)
        return self.filter(areas) if areas else self.none()


def areas_of(user) -> list[str]:
    """The kind prefixes of the mail ``user``'s staff role covers."""
    return [prefix for prefix, permission in STAFF_AREAS.items() if user.has_perm(permission)]


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # The Message-ID header, fixed when the message is queued: a message sent twice (a worker killed
    # between the server's "250 OK" and the row's update) reaches the reader's server with one ID.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    from_email = models.CharField(_("from"), max_length=320)
    recipient = models.TextField(_("recipient"), help_text=_("The To addresses, comma-separated."))
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    reply_to = models.JSONField(default=list)
    headers = models.JSONField(default=dict)
    subject = models.TextField(_("subject"))
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    # Files: {"filename", "mimetype", "content" (base64)}; MIME parts such as inline images:
    # {"mimetype", "content" (base64), "headers": [[name, value], ...]}; an inline QR code drawn when the
    # message is sent (``message_declare``'s ``qr_codes``): {"mimetype", "qr" (its text), "headers"}.
    attachments = models.JSONField(default=list)
    mixed_subtype = models.CharField(max_length=20, default="mixed")
    # What made the message (its template, e.g. "events/email/entry_confirmed"), declared by the sender;
    # empty for mail sent without a declaration (plain ``send_mail``).
    kind = models.CharField(_("kind"), max_length=100, blank=True)
    # A body with a personal secret (a reset or confirmation link, a ticket's link, code or QR code) is never
    # shown in the admin and is erased once sent. Undeclared mail counts as secret-bearing.
    carries_secret = models.BooleanField(_("carries a personal link or code"), default=True)
    language = models.CharField(_("language"), max_length=15, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("queued at"), auto_now_add=True)
    last_attempt = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status"], name="outbox_message_status")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.subject}"

    def belongs_to_area_of(self, user) -> bool:
        return user.is_superuser or any(self.kind.startswith(prefix) for prefix in areas_of(user))

    def as_email(self) -> EmailMultiAlternatives:
        """The message as Django builds it, with the Message-ID it was queued with."""
        email = EmailMultiAlternatives(
            self.subject,
            self.text,
            self.from_email,
            self.to,
            bcc=self.bcc,
            cc=self.cc,
            reply_to=self.reply_to,
            headers={**self.headers, "Message-ID": self.message_id},
        )
        if self.html:
            email.attach_alternative(self.html, "text/html")
        email.mixed_subtype = self.mixed_subtype
        for attachment in self.attachments:
            content = qr.qr_png(attachment["qr"]) if "qr" in attachment else base64.b64decode(attachment["content"])
            if "headers" not in attachment:
                email.attach(attachment["filename"], content, attachment["mimetype"])
                continue
            part = MIMEBase(*attachment["mimetype"].split("/", 1))
            part.set_payload(content)
            encoders.encode_base64(part)
            for name, value in attachment["headers"]:
                part.add_header(name, value)
            email.attach(part)
        return email
