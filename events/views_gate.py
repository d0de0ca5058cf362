"""The gate's pages (organisers): the check-in page, its one-entry check-in, the live counts, and for the gate
offline the check-in list a phone takes along and the endpoint its queued scans are uploaded to.

Rules live in ``events.services`` (the check-in) and the reads in ``events.checkin`` and ``events.gatelist``."""

from __future__ import annotations

import json
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from common.offline import OFFLINE_HEADER
from common.query import BIGINT_MAX, positive_int
from events import checkin, gatelist, services
from events.declaration_status import declaration_state
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
    # The bare gate page may be kept for opening without signal (it decides from the list it downloads); a
    # result, a search or a message ("Checked in: …", after a post without JavaScript) is not kept: each names a
    # car or driver and is old by the next car.
    keep = not request.GET and not messages.get_messages(request)
    response = render(request, "events/check_in.html", context)
    if keep:
        response[OFFLINE_HEADER] = "keep"
    return response


def _check_in_result(event: Event, entry: Entry | None) -> dict:
    """What the result panel says: refused in plain words, or the car with its entries of the day."""
    if entry is None:
        return {"refusal": _("No ticket matches this code. Check the code or search by name or number.")}
    if entry.session.event_id != event.pk:
        return {
            "refusal": _("This ticket is for %(other)s, not for %(event)s.")
            % {"other": entry.session.event.name, "event": event.name}
        }
    # ``scans``: the entry's scans other than its check-in: a second phone's duplicate, a refusal (GateScan.summary).
    result = {"entry": entry, "day_entries": checkin.same_day_entries(entry), "scans": checkin.entry_scans(entry)}
    result["declaration"] = declaration_state(entry)
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


# --- the gate offline: the list a phone takes along, and the queue it uploads ---------------------------------

MAX_SCANS = 1000
DEVICE_MAX = 40


def _json_error(message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    patch_cache_control(response, no_store=True)
    return response


def _gate_json(view):
    """For the phone's requests: the organisers' rule of ``_organiser_event``, answered in JSON (403 to anyone
    else, not logged in too: a script gets no login page; 404 for an unknown event) and never stored by a cache."""

    @wraps(view)
    def wrapped(request, slug):
        if not services.is_organiser(request.user):
            return _json_error(_("Only the event's organisers may use the gate."), 403)
        event = Event.objects.filter(slug=slug).first()
        if event is None:
            return _json_error(_("No such event."), 404)
        response = view(request, event)
        patch_cache_control(response, no_store=True)
        return response

    return wrapped


@gzip_page
@_gate_json
def check_in_list(request, event: Event):
    """GET: the event's check-in list for the phone (``events.gatelist``); ``?since=<cursor>``: what changed."""
    since = None
    if "since" in request.GET:
        since = gatelist.decode_cursor(request.GET["since"])
        if since is None:
            return _json_error(_("This is not a cursor of this list: download the whole list again."), 400)
    return JsonResponse(gatelist.check_in_list(event, since=since), json_dumps_params={"ensure_ascii": False})


@require_POST
@_gate_json
def check_in_sync(request, event: Event):
    """POST (JSON): a phone's queued scans, recorded by ``services.gate_sync``; what became of each."""
    try:
        device, scans = _read_sync(request)
    except ValueError as error:
        return _json_error(str(error), 400)
    results = services.gate_sync(event=event, scans=scans, by=request.user, device=device)
    return JsonResponse(
        {
            "results": [
                {
                    "nonce": str(r.nonce),
                    "outcome": r.outcome,
                    "message": r.message,
                    "entry": r.entry_id,
                    "checked_in_at": timezone.localtime(r.checked_in_at).isoformat() if r.checked_in_at else None,
                }
                for r in results
            ],
            "synced_at": timezone.localtime().isoformat(),
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _read_sync(request) -> tuple[str, list[services.QueuedScan]]:
    """The device and the scans of a sync request; ValueError with the words for the phone when anything is off
    (then nothing at all is recorded)."""
    try:
        data = json.loads(request.body)
    except (RecursionError, RequestDataTooBig, UnicodeDecodeError, ValueError):
        raise ValueError(_("The upload is not readable JSON.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("scans"), list):
        raise ValueError(_("The upload needs a list of scans."))
    device = data.get("device") or ""
    if not isinstance(device, str) or len(device.strip()) > DEVICE_MAX or not device.isprintable():
        raise ValueError(
            _("The device's name must be printable text of at most %(max)d characters.") % {"max": DEVICE_MAX}
        )
    if len(data["scans"]) > MAX_SCANS:
        raise ValueError(_("At most %(max)d scans per upload: send the rest in another.") % {"max": MAX_SCANS})
    return device.strip(), [_read_scan(number, scan) for number, scan in enumerate(data["scans"], start=1)]


def _read_scan(number: int, scan) -> services.QueuedScan:
    bad = _("Scan %(number)d: it needs a nonce (a UUID), an entry (its id) and scanned_at (ISO 8601 with offset).")
    if not isinstance(scan, dict):
        raise ValueError(bad % {"number": number})
    nonce, entry, scanned_at = scan.get("nonce"), scan.get("entry"), scan.get("scanned_at")
    try:
        nonce = uuid.UUID(nonce)
        moment = parse_datetime(scanned_at)
    except (AttributeError, TypeError, ValueError):
        raise ValueError(bad % {"number": number}) from None
    if type(entry) is not int or not 1 <= entry <= BIGINT_MAX or moment is None or timezone.is_naive(moment):
        raise ValueError(bad % {"number": number})
    return services.QueuedScan(nonce=nonce, entry_id=entry, scanned_at=moment)
