"""The declaration pages: the driver's (read and sign, name a passenger who signs on the same phone), the same at
the gate on an organiser's phone, and the download of a signed PDF. Rules live in ``events.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from common.storage import private_file_response
from events import services
from events.declaration_forms import PassengerForm, SignForm
from events.declaration_status import declaration_state
from events.declarations import DeclarationSignature
from events.models import Entry, Event

ENTRIES = Entry.objects.select_related("session__event", "car__colour", "driver")


@never_cache
@login_required
def declaration(request, pk):
    """The driver's page for one of their entries."""
    entry = get_object_or_404(ENTRIES.filter(driver=request.user), pk=pk)
    return _page(request, entry, here=reverse("events:declaration", args=[entry.pk]), at_gate=False)


@never_cache
@login_required
def declaration_at_gate(request, slug, pk):
    """The same page on an organiser's phone at the gate: the driver or passenger signs on it."""
    if not services.is_organiser(request.user):
        raise PermissionDenied
    event = get_object_or_404(Event, slug=slug)
    entry = get_object_or_404(ENTRIES.filter(session__event=event), pk=pk)
    return _page(request, entry, here=reverse("events:declaration_gate", args=[slug, entry.pk]), at_gate=True)


def _page(request, entry: Entry, *, here: str, at_gate: bool):
    if not entry.session.declaration_required:
        raise Http404
    forms = {}
    if request.method == "POST":
        try:
            data = request.POST
        except RequestDataTooBig:
            data = None
        role = (data or {}).get("role")
        if data is None:
            messages.error(request, _("What was sent is too large. Clear the drawing and sign again."))
            return redirect(here)
        if role == "passenger-name":
            form = PassengerForm(data)
            if form.is_valid():
                if _done(request, services.passenger_name, entry=entry, name=form.cleaned_data["name"]):
                    messages.success(request, _("Passenger saved."))
                return redirect(here)
            forms["passenger-name"] = form
        elif role in ("driver", "passenger"):
            form = SignForm(data, role=role)
            if form.is_valid():
                signed = _done(
                    request,
                    services.declaration_sign,
                    entry=entry,
                    role=role,
                    version_id=form.cleaned_data["version"],
                    name=form.cleaned_data["name"],
                    image=form.png,
                    language=get_language() or "en",
                )
                if signed:
                    messages.success(request, _("Thank you: the declaration is signed."))
                return redirect(here)
            forms[role] = form
    state = declaration_state(entry)
    version = state.current.pk if state.current else None
    context = {
        "entry": entry,
        "state": state,
        "at_gate": at_gate,
        "action": here,
        "driver_form": forms.get("driver") or SignForm(role="driver", initial={"version": version}),
        "passenger_form": forms.get("passenger") or SignForm(role="passenger", initial={"version": version}),
        "passenger_name_form": forms.get("passenger-name") or PassengerForm(initial={"name": state.passenger_name}),
        "driver_text": state.current.text("driver") if state.current else "",
        "passenger_text": state.current.text("passenger") if state.current else "",
    }
    return render(request, "events/declaration.html", context)


def _done(request, service, **kwargs) -> bool:
    try:
        service(by=request.user, **kwargs)
    except services.EntryError as error:
        messages.error(request, str(error))
        return False
    return True


@never_cache
@login_required
def declaration_pdf(request, pk):
    """A signed declaration's PDF: for the entry's driver (and who owned the car when it was made) and the
    organisers; anyone else gets a 404, as for a signature that does not exist."""
    signature = get_object_or_404(
        DeclarationSignature.objects.select_related("entry__session__event", "version"), pk=pk
    )
    allowed = (
        services.is_organiser(request.user)
        or Entry.objects.visible_to(request.user).filter(pk=signature.entry_id).exists()
    )
    if not allowed or not signature.pdf:
        raise Http404
    name = f"declaration-{signature.entry.session.event.slug}-v{signature.version.number}-{signature.role}.pdf"
    return private_file_response(signature.pdf, content_type="application/pdf", download_as=name)
