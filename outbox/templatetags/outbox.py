from __future__ import annotations

from django import template

from outbox.models import Message

register = template.Library()


@register.simple_tag
def failed_email_count() -> int:
    """For the admin index only: one count query, not on every page as a context processor would be."""
    return Message.objects.failed().count()
