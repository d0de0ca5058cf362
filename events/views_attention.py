"""The driver's emergency contact of an entry, changed in "My entries" (``services.emergency_contact_set``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from events import services
from events.forms_attention import EmergencyContactForm
from events.models import Entry


@never_cache
@login_required
def emergency_contact(request, pk):
    """The driver's own entries only (anyone else, the car's owner too, gets a 404)."""
    entry = get_object_or_404(
        Entry.objects.filter(driver=request.user).select_related("session__event", "car__colour", "emergency_contact"),
        pk=pk,
    )
    contact = getattr(entry, "emergency_contact", None)
    form = EmergencyContactForm(request.POST or None, contact=contact)
    can_change = entry.is_active and not entry.session.has_started
    if request.method == "POST" and form.is_valid():
        try:
            services.emergency_contact_set(entry=entry, by=request.user, contact=form.emergency_contact)
        except services.EntryError as exc:
            messages.error(request, str(exc))
        else:
            where = {"session": entry.session.name, "event": entry.session.event.name}
            if form.emergency_contact:
                messages.success(request, _("Emergency contact for %(session)s at %(event)s saved.") % where)
            else:
                messages.success(request, _("Emergency contact for %(session)s at %(event)s removed.") % where)
        return redirect("events:my_entries")
    return render(request, "events/emergency_contact.html", {"entry": entry, "form": form, "can_change": can_change})
