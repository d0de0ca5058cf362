"""The gate's pages (organisers): the check-in page, its one-entry check-in, the live counts.

Rules live in ``events.services`` (the check-in) and the reads in ``events.checkin``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.query import positive_int
from events import checkin, services
from events.forms import CheckInSearchForm
from events.models import Entry, Event


def _organiser_event(request, slug) -> Event:
    if not services.is_organiser(request.user):
        raise PermissionDenied
    return get_object_or_404(Event, slug=slug)


@never_cache
@login_required
def check_in(request, slug):
    """The gate, on a phone: scan a ticket (``?code=`` carries what the QR code holds or a typed short
    code), or search (``?q=``); the result shows the car and its entries of that day, with one button."""
    event = _organiser_event(request, slug)
    form = CheckInSearchForm(request.GET if "q" in request.GET else None)
    context = {"event": event, "form": form, "counts": checkin.session_counts(event)}
    code = request.GET.get("code", "")
    entry_id = positive_int(request.GET.get("entry"))  # the page's own links; anything else is ignored
    if code or entry_id:
        found = checkin.find_entry(event, entry_id) if entry_id else checkin.find_ticket(code)
        context.update(_check_in_result(event, found))
    elif form.is_valid():
        results = checkin.search(event, form.cleaned_data["q"])
        if len(results) == 1:
            context.update(_check_in_result(event, results[0]))
        else:
            context["results"] = results
            context["searched"] = True
    return render(request, "events/check_in.html", context)


def _check_in_result(event: Event, entry: Entry | None) -> dict:
    """What the result panel says: refused in plain words, or the car with its entries of the day."""
    if entry is None:
        return {"refusal": _("No ticket matches this code. Check the code or search by name or number.")}
    if entry.session.event_id != event.pk:
        return {
            "refusal": _("This ticket is for %(other)s, not for %(event)s.")
            % {"other": entry.session.event.name, "event": event.name}
        }
    result = {"entry": entry, "day_entries": checkin.same_day_entries(entry)}
    if entry.status == Entry.Status.WAITLISTED:
        result["refusal"] = _("On the waitlist for %(session)s: this car has no place and no valid ticket.") % {
            "session": entry.session.name
        }
    elif entry.status == Entry.Status.CANCELLED:
        result["refusal"] = _("Cancelled: this entry for %(session)s has no valid ticket.") % {
            "session": entry.session.name
        }
    elif entry.checked_in_at:
        result["already"] = services.checked_in_message(entry)
    return result


@never_cache
@login_required
def check_in_entry(request, slug, pk):
    """POST: check one entry in (``services.entry_check_in``), then show its result again."""
    event = _organiser_event(request, slug)
    entry = get_object_or_404(Entry, pk=pk, session__event=event)
    if request.method != "POST":
        return redirect(reverse("events:check_in", args=[event.slug]) + "?" + urlencode({"entry": entry.pk}))
    page = reverse("events:check_in", args=[event.slug])
    try:
        entry = services.entry_check_in(entry=entry, by=request.user)
    except services.EntryError as exc:
        messages.error(request, str(exc))
        return redirect(page + "?" + urlencode({"entry": entry.pk}))
    messages.success(
        request, _("Checked in: %(car)s, %(session)s.") % {"car": entry.car, "session": entry.session.name}
    )
    # Back to the gate, ready for the next car.
    return redirect(page)


@login_required
def check_in_counts(request, slug):
    """The live counts the check-in page polls: checked in / confirmed per session."""
    event = _organiser_event(request, slug)
    counts = checkin.session_counts(event)
    response = JsonResponse(
        {"sessions": [{"id": c.id, "checked_in": c.checked_in, "confirmed": c.confirmed} for c in counts]}
    )
    patch_cache_control(response, no_store=True)
    return response
