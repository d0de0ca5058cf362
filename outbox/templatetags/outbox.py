from __future__ import annotations

from django import template

from outbox.models import Message

register = template.Library()


@register.simple_tag
def failed_email_count(user) -> int:
    """For the admin index only: one count query, not on every page as a context processor would be. Counts
    the failed mail ``user`` can see (``MessageQuerySet.visible_to``), the same the link opens."""
    return Message.objects.visible_to(user).failed().count()
