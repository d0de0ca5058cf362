"""An email backend that queues instead of sending: ``settings.EMAIL_BACKEND``."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend

from outbox.models import Message
from outbox.services import messages_queue


class QueueBackend(BaseEmailBackend):
    """Each message becomes an outbox row and a delivery job, in the caller's transaction; the messages of
    one call (``outbox.mail.send_all``) together (``messages_queue``)."""

    def send_messages(self, email_messages):
        queued = messages_queue(emails=list(email_messages))
        return sum(message.status == Message.Status.QUEUED for message in queued)
