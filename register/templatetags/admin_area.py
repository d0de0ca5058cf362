from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_area(context) -> str:
    """The admin's name for the person reading it: organisers and registrars work in different parts of it,
    so the header says whose part this is. Read from the permissions each role's group grants (the admin
    has already loaded them for the page: no query)."""
    user = context.get("user")
    if user is None or not user.is_authenticated or not user.is_staff:
        return str(context.get("site_header") or gettext("1M Register — staff"))
    if user.is_superuser:
        return gettext("1M Register — admin")
    organiser, registrar = user.has_perm("events.change_entry"), user.has_perm("register.change_claim")
    if organiser and registrar:
        return gettext("1M Register — organisers and registrars")
    if registrar:
        return gettext("1M Register — registrars")
    if organiser:
        return gettext("1M Register — organisers")
    return gettext("1M Register — staff")
