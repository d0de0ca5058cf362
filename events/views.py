"""Event pages for owners and the public roster with its exports (the gate's pages: events/views_gate.py). Rules
live in events.services."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.gzip import gzip_page

from common.offline import offline_page
from common.query import positive_int
from events import exports, giro, rostercache, services, tickets
from events import roster as roster_data
from events.declaration_status import declaration_states
from events.forms import FindCarForm, RosterFilterForm, SignupForm
from events.models import Entry, Event, Session
from register import spreadsheet
from register.models import Car, Colour


@gzip_page
def event_list(request):
    return render(
        request,
        "events/event_list.html",
        {"upcoming": list(Event.objects.upcoming()), "past": list(Event.objects.past()), "now": timezone.now()},
    )


def _render_event(request, event: Event, *, bound_forms: dict | None = None):
    sessions = list(event.sessions.with_counts().order_by("starts_at", "pk"))
    registration_open = event.registration_is_open()
    has_cars = False
    my_entries: dict[int, Entry] = {}
    if request.user.is_authenticated:
        has_cars = Car.objects.owned_by(request.user).exists()
        my_entries = {
            e.session_id: e
            for e in Entry.objects.active()
            .filter(driver=request.user, session__event=event)
            .select_related("car")
            .with_waitlist_position()
        }
    bound_forms = bound_forms or {}
    last_contact = None
    if has_cars and registration_open:
        last_contact = services.emergency_contact_last(user=request.user)
    for session in sessions:
        session.my_entry = my_entries.get(session.pk)
        session.signup_form = None
        if session.pk in bound_forms:
            # A rejected POST: show its errors next to the fields, whatever else the page would show.
            session.signup_form = bound_forms[session.pk]
        elif registration_open and has_cars and session.my_entry is None and not session.has_started:
            session.signup_form = SignupForm(user=request.user, session=session, last_contact=last_contact)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "sessions": sessions,
            "registration_open": registration_open,
            "now": timezone.now(),
            "has_cars": has_cars,
            "login_url": f"{reverse('account_login')}?next={event.get_absolute_url()}",
            "offline_urls": _offline_urls(event, sessions),
        },
    )


def _offline_urls(event: Event, sessions: list[Session]) -> list[str]:
    """What "Keep for offline" saves: this page and every page of the published roster of an event not over
    (the whole roster, then each page of a session longer than one page, as its page links ask for them)."""
    if not event.roster_published or event.ends_on < timezone.localdate():
        return []
    roster_url = reverse("events:roster", args=[event.slug])
    urls = [event.get_absolute_url(), roster_url]
    for session in sessions:
        pages = -(-session.confirmed_count // roster_data.ROSTER_PAGE_SIZE)
        if pages > 1:
            urls += [f"{roster_url}?{urlencode({'session': session.slug, 'page': n})}" for n in range(1, pages + 1)]
    return urls


@offline_page
@gzip_page
def event_detail(request, slug):
    event = get_object_or_404(Event, slug=slug)
    return _render_event(request, event)


@login_required
def signup(request, slug, session_slug):
    """POST only; a GET (e.g. coming back from the login page) goes to the event page."""
    session = get_object_or_404(Session.objects.select_related("event"), event__slug=slug, slug=session_slug)
    event = session.event
    if request.method != "POST":
        return redirect(event)
    form = SignupForm(request.POST, user=request.user, session=session)
    if not form.is_valid():
        return _render_event(request, event, bound_forms={session.pk: form})
    try:
        entry = services.entry_create(
            session=session,
            car=form.cleaned_data["car"],
            driver=request.user,
            requirements_confirmed=form.requirements_confirmed,
            signup_token=form.cleaned_data["token"],
            emergency_contact=form.emergency_contact,
        )
    except services.EntryError as exc:
        messages.error(request, str(exc))
        return redirect(event)
    _signup_message(request, entry)
    # A session on track needs the declaration: read and sign it now (the place is taken already).
    state = declaration_states([entry])[entry.pk]
    if state.required and state.current and not state.driver_signed:
        messages.info(request, _("Please read and sign the declaration for %(session)s.") % {"session": session.name})
        return redirect("events:declaration", entry.pk)
    return redirect("events:my_entries")


def _signup_message(request, entry: Entry) -> None:
    session, event = entry.session, entry.session.event
    where = {"session": session.name, "event": event.name}
    if entry.status == Entry.Status.CONFIRMED:
        if entry.slot:
            messages.success(
                request, _("%(session)s at %(event)s: confirmed, slot %(slot)s.") % {**where, "slot": entry.slot}
            )
        else:
            messages.success(request, _("%(session)s at %(event)s: confirmed.") % where)
    elif entry.status == Entry.Status.AWAITING_PAYMENT:
        messages.success(
            request,
            _("%(session)s at %(event)s: your place is held until %(due)s. Please pay %(amount)s € by then.")
            % {
                **where,
                "due": formats.date_format(timezone.localtime(entry.payment_due), "DATETIME_FORMAT"),
                "amount": formats.number_format(entry.amount_due, 2),
            },
        )
    else:
        messages.info(
            request,
            _("%(session)s at %(event)s: you are on the waitlist, position %(position)s.")
            % {**where, "position": entry.waitlist_position},
        )


@offline_page
@never_cache
@login_required
def my_entries(request):
    entries = (
        Entry.objects.of_person(request.user)
        .select_related("session__event", "car__colour", "emergency_contact")
        .with_waitlist_position()
        .order_by("-session__starts_at", "session__pk", "pk")
    )
    # Each ticket is saved for offline reading with this page, cancelled ones too: a saved ticket is refreshed
    # (and then shows the entry as cancelled) on every visit here with signal (static/js/offline.js).
    ticket_urls = [entry.get_ticket_url() for entry in entries]
    states = declaration_states(entries)
    for entry in entries:
        entry.declaration = states[entry.pk]
    return render(request, "events/my_entries.html", {"entries": entries, "ticket_urls": ticket_urls})


@offline_page
@never_cache
@login_required
def ticket(request, pk):
    """An entry's ticket, for its driver and whoever owned the car when it was made (``Entry.visible_to``;
    anyone else, the car's later owners too, gets a 404)."""
    entry = get_object_or_404(
        Entry.objects.visible_to(request.user).select_related("session__event", "car__colour"), pk=pk
    )
    qr = tickets.qr_svg(entry.ticket_token) if entry.has_valid_ticket else ""
    # A place held until paid: the transfer's details and the GiroCode (events/giro.py).
    payment = giro.PaymentDetails.for_entry(entry) if entry.status == Entry.Status.AWAITING_PAYMENT else None
    entry.declaration = declaration_states([entry])[entry.pk]
    return render(request, "events/ticket.html", {"entry": entry, "qr": qr, "payment": payment})


@login_required
def entry_cancel(request, pk):
    entry = get_object_or_404(
        Entry.objects.of_person(request.user).select_related("session__event", "car__colour"), pk=pk
    )
    if request.method == "POST":
        try:
            services.entry_cancel(entry=entry, by=request.user)
        except services.EntryError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Your entry for %(session)s at %(event)s is cancelled.")
                % {"session": entry.session.name, "event": entry.session.event.name},
            )
        return redirect("events:my_entries")
    return render(request, "events/entry_cancel.html", {"entry": entry})


def _roster_event(request, slug) -> Event:
    """The roster is public once published; organisers (staff) may preview it before."""
    event = get_object_or_404(Event, slug=slug)
    if not event.roster_published and not request.user.is_staff:
        raise Http404
    return event


_ROSTER_SESSION_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")


def _session_and_page(query) -> tuple[str | None, int] | None:
    """``?session=<slug>&page=<n>`` of a roster URL (either may be missing), or None when one is malformed.
    Without a session every session shows its first page, whatever the page number says."""
    session = query.get("session") or None
    page = positive_int(query.get("page", "1"), maximum=99_999)
    if (session is not None and not _ROSTER_SESSION_SLUG.match(session)) or page is None:
        return None
    return session, page if session else 1


def _roster_view(query) -> tuple[str | None, int] | None:
    """The session and page a roster URL asks for, when it asks for nothing else (or no query at all). Such
    pages are the same for every visitor and are cached; anything else (a colour, a search) is built for the
    request."""
    if not set(query) <= {"session", "page"} or any(len(query.getlist(k)) > 1 for k in query):
        return None
    return _session_and_page(query)


@offline_page
@gzip_page
def roster(request, slug):
    view = _roster_view(request.GET)
    if view is not None:
        stamp = rostercache.roster_stamp(slug)
        if stamp and stamp.published and stamp.generation is not None:
            return _published_roster(request, stamp, *view)
    # A filtered view, a search, a preview, or a request inside a transaction that has written: built fresh.
    event = _roster_event(request, slug)
    find_form = FindCarForm(request.GET if "find" in request.GET else None)
    if find_form.is_valid():
        found = roster_data.find_car(event, find_form.cleaned_data["find"])
        if found is not None:
            entry, page = found
            url = reverse("events:roster", args=[event.slug])
            if page > 1:
                url += "?" + urlencode({"session": entry.session.slug, "page": page})
            return redirect(f"{url}#entry-{entry.pk}")
        find_form.add_error(
            "find",
            _("No car with the register number or nickname “%(text)s” in this roster.")
            % {"text": find_form.cleaned_data["find"]},
        )
    # The same session and page, narrowed by a colour (or after a failed search).
    view = view or _session_and_page(request.GET)
    if view is None:
        raise Http404
    session_slug, page = view
    form, colour_id = None, None
    if "colour" in request.GET:
        form = RosterFilterForm(request.GET, colours=list(Colour.objects.all()))
        colour_id = form.colour_id()
    data = roster_data.build_roster(event, colour_id=colour_id, session_slug=session_slug, page=page)
    form = form or RosterFilterForm(None, colours=data.colours)
    context = _roster_context(event, data, form, colour_id)
    context["find_form"] = find_form
    return render(request, "events/roster.html", context)


def _roster_context(event: Event, data, form, colour_id) -> dict:
    preview = not event.roster_published
    return {
        "event": event,
        "roster": data,
        "filter_form": form,
        "find_form": FindCarForm(),
        "colour_id": colour_id,
        "preview": preview,
    }


def _published_roster(request, stamp: rostercache.RosterStamp, session_slug: str | None = None, page_number: int = 1):
    """The published roster is cached whole under the roster generation (events.rostercache), which every
    committed change to what it shows bumps: a slot change shows on the very next request, and an
    unchanged roster costs one small query, or a 304 to a browser revalidating its copy. One cache entry
    per page of the roster (unknown sessions and pages are 404s, so they are never stored)."""
    query = f"?{urlencode({'session': session_slug, 'page': page_number})}" if session_slug else ""
    return rostercache.cached_page_response(
        request,
        name=f"roster-{stamp.event_id}-{session_slug or ''}-{page_number}",
        version=stamp.generation,
        template="events/roster.html",
        context=lambda: _published_roster_context(stamp, session_slug, page_number),
        path=request.path + query,
    )


def _published_roster_context(stamp: rostercache.RosterStamp, session_slug: str | None, page: int) -> dict:
    event = get_object_or_404(Event, pk=stamp.event_id)
    data = roster_data.build_roster(event, session_slug=session_slug, page=page)
    return _roster_context(event, data, RosterFilterForm(None, colours=data.colours), None)


def roster_json(request, slug):
    event = _roster_event(request, slug)
    return JsonResponse(exports.roster_json(event), json_dumps_params={"ensure_ascii": False})


def roster_csv(request, slug):
    event = _roster_event(request, slug)
    separator = spreadsheet.csv_separator(request.GET.get("sep"))
    response = HttpResponse(exports.roster_csv(event, separator=separator), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-roster.csv"'
    return response


def calendar_ics(request, slug):
    """The event's sessions as a calendar. Times and venue are public on the event page, so is this."""
    event = get_object_or_404(Event, slug=slug)
    url = request.build_absolute_uri(event.get_absolute_url())
    response = HttpResponse(exports.calendar_ics(event, url=url), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response
