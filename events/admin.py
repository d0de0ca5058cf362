"""Events admin for organisers: events, sessions, entries, convoy order. Every state change calls a service."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from common.admin import (
    DateHierarchyAdmin,
    HistoryAdmin,
    LabelledDateTimes,
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    admin_pk,
    for_each_selected,
    swatch,
)
from events import marshal, services
from events.forms import EntrantMessageForm
from events.models import EntrantMessage, EntrantMessageRecipient, Entry, Event, Session
from events.resources import EntryResource
from events.services import EntryError
from register.query import positive_int
from register.spreadsheet import SpreadsheetCSV

# --- Events -----------------------------------------------------------------------------------------------


class SessionInlineForm(forms.ModelForm):
    """Capacity of an existing session is changed on the session's own page, through the capacity service."""

    class Meta:
        model = Session
        fields = ["name", "slug", "kind", "track", "starts_at", "ends_at", "capacity", "laps", "pace_car"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["capacity"].disabled = True
            self.fields["capacity"].help_text = _("Change it on the session page: the waitlist moves up.")


class SessionInline(LabelledDateTimes, admin.StackedInline):
    """Stacked, a few fields a line: a table of nine columns with date-time widgets was 1,962 px wide."""

    model = Session
    form = SessionInlineForm
    extra = 0
    show_change_link = True
    prepopulated_fields = {"slug": ["name"]}
    fields = [("name", "slug"), ("kind", "track"), ("starts_at", "ends_at"), ("capacity", "laps", "pace_car")]


@admin.register(Event)
class EventAdmin(LabelledDateTimes, DateHierarchyAdmin):
    list_display = ["name", "venue", "starts_on", "ends_on", "registration_opens", "roster_published"]
    list_filter = ["roster_published"]
    search_fields = ["name", "venue"]
    date_hierarchy = "starts_on"
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["roster_published", "roster_published_at"]
    inlines = [SessionInline]
    actions = ["publish_roster", "unpublish_roster"]

    @admin.action(description=_("Publish the roster"), permissions=["change"])
    def publish_roster(self, request, queryset):
        return self._roster_action(request, queryset, publish=True)

    @admin.action(description=_("Unpublish the roster"), permissions=["change"])
    def unpublish_roster(self, request, queryset):
        return self._roster_action(request, queryset, publish=False)

    def _roster_action(self, request, queryset, *, publish: bool):
        """Asks first (a confirmation page, like Django's delete action), then calls the service per event."""
        if request.POST.get("confirmed") != "yes":
            return self._roster_confirm_page(request, list(queryset), publish=publish, from_list=True)
        self._roster_do(request, queryset, publish=publish)
        return None

    def _roster_do(self, request, events, *, publish: bool):
        if publish:
            service, done = (
                services.roster_publish,
                ngettext_lazy(
                    "Roster published for %(count)d event.", "Roster published for %(count)d events.", "count"
                ),
            )
        else:
            service, done = (
                services.roster_unpublish,
                ngettext_lazy(
                    "Roster unpublished for %(count)d event.", "Roster unpublished for %(count)d events.", "count"
                ),
            )
        for_each_selected(self, request, events, lambda event: service(event=event), done=done, refused=EntryError)

    def _roster_confirm_page(self, request, events, *, publish: bool, from_list: bool):
        counts = {
            row["session__event"]: row["n"]
            for row in Entry.objects.confirmed()
            .filter(session__event__in=events)
            .values("session__event")
            .annotate(n=Count("pk"))
        }
        for event in events:
            event.confirmed_total = counts.get(event.pk, 0)
        title = gettext("Publish the roster?") if publish else gettext("Unpublish the roster?")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "events": events,
            "publish": publish,
            "from_list": from_list,
            "action": "publish_roster" if publish else "unpublish_roster",
        }
        return TemplateResponse(request, "admin/events/event/roster_confirm.html", context)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/publish/",
                self.admin_site.admin_view(self.roster_view),
                {"publish": True},
                name="events_event_publish",
            ),
            path(
                "<int:object_id>/unpublish/",
                self.admin_site.admin_view(self.roster_view),
                {"publish": False},
                name="events_event_unpublish",
            ),
            path(
                "<int:object_id>/message/",
                self.admin_site.admin_view(self.message_view),
                name="events_event_message",
            ),
            *super().get_urls(),
        ]

    def message_view(self, request, object_id):
        """Write a message to the event's drivers, preview it with the number of recipients, then send it
        through the outbox (``services.entrant_message_send``)."""
        event = get_object_or_404(Event, pk=object_id)
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        session_id = positive_int(request.GET.get("session"))
        initial = {"session": session_id} if session_id else {}
        form = EntrantMessageForm(request.POST or None, event=event, initial=initial)
        recipients = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "send" in request.POST:
                try:
                    message = services.entrant_message_send(
                        event=event,
                        session=data["session"],
                        include_waitlisted=data["include_waitlisted"],
                        subject=data["subject"],
                        body=data["body"],
                        by=request.user,
                    )
                except EntryError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    count = message.recipients.count()
                    self.message_user(
                        request,
                        ngettext("Message sent to %(count)d driver.", "Message sent to %(count)d drivers.", count)
                        % {"count": count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:events_entrantmessage_change", args=[message.pk]))
            recipients = services.entrant_message_recipients(
                event=event, session=data["session"], include_waitlisted=data["include_waitlisted"]
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Message to the drivers of %(event)s") % {"event": event},
            "event": event,
            "form": form,
            "recipients": recipients,
            "preview": form.cleaned_data if recipients is not None else None,
            "sent": EntrantMessage.objects.filter(event=event).select_related("session", "sent_by")[:20],
        }
        return TemplateResponse(request, "admin/events/event/message.html", context)

    def roster_view(self, request, object_id, publish: bool):
        """GET: what publishing (or unpublishing) will do; POST: do it through the service."""
        event = get_object_or_404(Event, pk=object_id)
        if not self.has_change_permission(request, event):
            raise PermissionDenied
        if request.method == "POST":
            self._roster_do(request, [event], publish=publish)
            return HttpResponseRedirect(reverse("admin:events_event_change", args=[event.pk]))
        return self._roster_confirm_page(request, [event], publish=publish, from_list=False)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pk = admin_pk(Event, object_id)  # not a number: Django's own view says the event does not exist
        sessions = (
            [] if pk is None else list(Session.objects.filter(event_id=pk).with_counts().order_by("starts_at", "pk"))
        )
        extra_context = {**(extra_context or {}), "day_sessions": sessions}
        return super().change_view(request, object_id, form_url, extra_context)


# --- Sessions ---------------------------------------------------------------------------------------------


class SessionAdminForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = [
            "event",
            "name",
            "slug",
            "kind",
            "track",
            "starts_at",
            "ends_at",
            "capacity",
            "laps",
            "pace_car",
            "requirements",
        ]

    def clean_capacity(self):
        # The service re-checks under a row lock; this check puts the message next to the field.
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None:
            confirmed = Entry.objects.confirmed().filter(session_id=self.instance.pk).count()
            if capacity < confirmed:
                raise ValidationError(
                    ngettext(
                        "%(count)d car is already confirmed: cancel or move entries to the waitlist first.",
                        "%(count)d cars are already confirmed: cancel or move entries to the waitlist first.",
                        confirmed,
                    ),
                    code="below_confirmed",
                    params={"count": confirmed},
                )
        return capacity


class ConvoyActionsMixin:
    """Session-level convoy actions, shared by the session admin and (via the entries' sessions) the entry admin."""

    def _per_session(self, request, sessions, service, done, *, method: str):
        """Run an automatic numbering (``method`` of ``services.AUTOMATIC_ORDERS``) on each session; first
        ask on a confirmation page when it would move cars of an order made by hand."""
        sessions = list(sessions)
        if request.POST.get("confirmed") != "yes":
            overwritten = []
            for session in sessions:
                moved = services.convoy_overwrites_hand_order(session=session, method=method)
                if moved:
                    session.moved = moved
                    overwritten.append(session)
            if overwritten:
                return TemplateResponse(
                    request,
                    "admin/events/session/convoy_overwrite_confirm.html",
                    {
                        **self.admin_site.each_context(request),
                        "opts": self.opts,
                        "title": gettext("Overwrite an order made by hand?"),
                        "sessions": overwritten,
                        "action": request.POST.get("action", ""),
                        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                        "select_across": request.POST.get("select_across", "0"),
                        "index": request.POST.get("index", "0"),
                    },
                )
        for_each_selected(
            self,
            request,
            sessions,
            lambda session: service(session=session, by=request.user),
            done=done,
            refused=EntryError,
        )
        return None


@admin.register(Session)
class SessionAdmin(LabelledDateTimes, ConvoyActionsMixin, admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["name", "event", "kind", "track", "starts_at", "confirmed_of_capacity", "waitlist", "convoy_link"]
    list_filter = ["event", "kind", "track"]
    list_select_related = ["event"]
    search_fields = ["name", "event__name"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["assign_by_signup", "assign_by_colour", "renumber"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event").with_counts()

    @admin.display(description=_("confirmed / capacity"), ordering="confirmed_count")
    def confirmed_of_capacity(self, obj):
        return f"{obj.confirmed_count} / {obj.capacity}"

    @admin.display(description=_("waitlist"), ordering="waitlist_count")
    def waitlist(self, obj):
        return obj.waitlist_count

    @admin.display(description=_("convoy order"))
    def convoy_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:events_session_convoy", args=[obj.pk]), _("Order"))

    def save_model(self, request, obj, form, change):
        if not (change and "capacity" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # Save the other fields, then let the service change capacity and promote from the waitlist.
        new_capacity = obj.capacity
        obj.capacity = form.initial["capacity"]
        super().save_model(request, obj, form, change)
        try:
            services.session_set_capacity(session=obj, capacity=new_capacity, by=request.user)
        except EntryError as exc:
            self.message_user(request, gettext("Capacity not changed: %(error)s") % {"error": exc}, messages.ERROR)
        else:
            obj.capacity = new_capacity

    @admin.action(description=_("Auto-assign slots by sign-up order"), permissions=["change_entries"])
    def assign_by_signup(self, request, queryset):
        return self._per_session(
            request,
            queryset,
            services.convoy_assign_by_signup,
            _("Slots assigned in %(count)d session(s)."),
            method="signup",
        )

    @admin.action(description=_("Auto-assign slots grouped by colour"), permissions=["change_entries"])
    def assign_by_colour(self, request, queryset):
        return self._per_session(
            request,
            queryset,
            services.convoy_assign_by_colour,
            _("Slots assigned in %(count)d session(s)."),
            method="colour",
        )

    @admin.action(description=_("Renumber slots 1…N"), permissions=["change_entries"])
    def renumber(self, request, queryset):
        return self._per_session(
            request,
            queryset,
            services.convoy_renumber,
            _("Slots renumbered in %(count)d session(s)."),
            method="renumber",
        )

    def has_change_entries_permission(self, request):
        return request.user.has_perm("events.change_entry")

    def get_urls(self):
        return [
            path(
                "<int:object_id>/convoy/",
                self.admin_site.admin_view(self.convoy_view),
                name="events_session_convoy",
            ),
            path(
                "<int:object_id>/marshal-sheet.pdf",
                self.admin_site.admin_view(self.marshal_sheet_view),
                name="events_session_marshal_sheet",
            ),
            *super().get_urls(),
        ]

    def marshal_sheet_view(self, request, object_id):
        """The session's convoy order as a printable PDF for the marshals."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("event"), pk=object_id)
        response = HttpResponse(marshal.marshal_sheet_pdf(session), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{session.event.slug}-{session.slug}-marshal-sheet.pdf"'
        return response

    def convoy_view(self, request, object_id):
        """Drag-and-drop order of the confirmed cars; POST saves the whole order through ``convoy_reorder``,
        which refuses it if the order changed since the page was loaded (the error says what changed, the page
        after the redirect shows the current order)."""
        if not (self.has_view_permission(request) and self.has_change_entries_permission(request)):
            raise PermissionDenied
        session = get_object_or_404(Session.objects.select_related("event"), pk=object_id)
        if request.method == "POST":
            try:
                entry_ids = [int(value) for value in request.POST.getlist("entry")]
                seen = [int(value) for value in request.POST.get("seen", "").split(",")]
            except ValueError:
                self.message_user(request, gettext("The order sent was not understood."), messages.ERROR)
            else:
                try:
                    services.convoy_reorder(session=session, entry_ids=entry_ids, seen=seen, by=request.user)
                except EntryError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                else:
                    self.message_user(request, gettext("Convoy order saved."), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        entries = list(Entry.objects.filter(session=session).for_roster())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Convoy order: %(session)s") % {"session": session},
            "session": session,
            "entries": entries,
            # The order this page shows: a save made against an order changed since is refused.
            "seen": ",".join(str(pk) for pk in services.convoy_order_seen(entries)),
        }
        return TemplateResponse(request, "admin/events/session/convoy_order.html", context)


# --- Entries ----------------------------------------------------------------------------------------------


class EntryAdminForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["slot"]

    def clean_slot(self):
        # ``self.instance`` still holds the saved values here: the form copies its data onto it after cleaning.
        slot = self.cleaned_data["slot"]
        if slot is not None and self.instance.status != Entry.Status.CONFIRMED:
            raise ValidationError(_("Only confirmed entries have a slot."), code="not_confirmed")
        if slot is None and self.instance.slot is not None:
            raise ValidationError(
                _("A confirmed car keeps a slot: move it to the waitlist or cancel it instead."), code="required"
            )
        return slot


class SessionListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        # One query: a session's label needs its event.
        sessions = Session.objects.select_related("event").order_by("-event__starts_on", "starts_at", "pk")
        return [(session.pk, str(session)) for session in sessions]


_FIELD_ORDER = {field.name: number for number, field in enumerate(Entry._meta.fields)}


def _audit_value(field: models.Field, value) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime.datetime):
        return formats.localize(timezone.localtime(value))
    return str(value)


def change_reason(stored: str | None) -> str:
    """A change's stored reason (in English, see ``events.services._audited``) in the reader's language.

    A reason the catalogue does not know (the demo data's, or one naming a car: "slot swapped with #12 …")
    is shown as stored."""
    return gettext(stored) if stored else ""


def entry_audit_rows(entry: Entry) -> list[tuple]:
    """The entry's audit trail, oldest first, one row per changed field: (when, who, field, from, to, why),
    read from its django-simple-history snapshots (the first snapshot shows the status and slot it began with).
    """
    rows = []
    previous = None
    for record in entry.history.select_related("history_user").order_by("history_date", "history_id"):
        if previous is None:
            changes = [(name, None, getattr(record, name)) for name in ("status", "slot") if getattr(record, name)]
        else:
            changes = [
                (change.field, change.old, change.new)
                for change in record.diff_against(previous, excluded_fields=["checked_in_by"]).changes
            ]
            changes.sort(key=lambda change: _FIELD_ORDER[change[0]])
        for name, old, new in changes:
            field = Entry._meta.get_field(name)
            rows.append(
                (
                    record.history_date,
                    record.history_user,
                    capfirst(field.verbose_name),
                    _audit_value(field, old),
                    _audit_value(field, new),
                    change_reason(record.history_change_reason),
                )
            )
        previous = record
    return rows


def _previous_snapshot(field: str) -> Subquery:
    """``field`` as the entry's snapshot before this one had it (None for the first snapshot)."""
    earlier = Entry.history.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    return Subquery(earlier.order_by("-history_date", "-history_id").values(field)[:1])


@admin.register(Entry.history.model)
class EntryChangeAdmin(DateHierarchyAdmin, ReadOnlyAdmin):
    """Every entry's changes, newest first, across sessions: what happened while several organisers work.

    The rows are django-simple-history's snapshots of entries, the same ones each entry's change page shows
    as its audit trail. A row's previous status and slot come from a subquery on the same table, so the page
    costs the same few queries however many rows it shows. Read-only, like the trail itself.
    """

    list_display = ["changed_at", "entry_link", "session", "change", "changed_by", "reason"]
    list_display_links = None
    list_filter = [("session", SessionListFilter), "status"]
    list_select_related = ["session__event", "car", "history_user"]
    search_fields = ["car__vin", "car__nickname", "history_change_reason"]
    date_hierarchy = "history_date"
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(previous_status=_previous_snapshot("status"), previous_slot=_previous_snapshot("slot"))
        )

    # django-simple-history's own columns have untranslated names ("History date"); these carry the names the
    # entry page's audit trail uses.
    @admin.display(description=_("when"), ordering="history_date")
    def changed_at(self, obj):
        return obj.history_date

    @admin.display(description=_("user"), ordering="history_user")
    def changed_by(self, obj):
        return obj.history_user

    @admin.display(description=_("reason"))
    def reason(self, obj):
        return change_reason(obj.history_change_reason)

    @admin.display(description=_("entry"), ordering="car__register_number")
    def entry_link(self, obj):
        url = reverse("admin:events_entry_change", args=[obj.id], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, obj.car)

    @admin.display(description=_("change"))
    def change(self, obj):
        changes = []
        for name in ("status", "slot"):
            field = Entry._meta.get_field(name)
            old, new = getattr(obj, f"previous_{name}"), getattr(obj, name)
            if old != new:
                changes.append((capfirst(field.verbose_name), _audit_value(field, old), _audit_value(field, new)))
        return format_html_join("; ", "{}: {} → {}", changes) or "—"


@admin.register(Entry)
class EntryAdmin(ConvoyActionsMixin, HistoryAdmin):
    """Entries are created by sign-up and never deleted; only the slot is edited here, through the service.

    The audit trail is django-simple-history's (the History page, and the table on the change page); an old
    version is shown, never written back: entries change only through the services, so nobody reverts one.
    """

    form = EntryAdminForm
    list_display = [
        "session",
        "slot",
        "colour_swatch",
        "market",
        "car_label",
        "driver_label",
        "status",
        "checked_in",
    ]
    list_display_links = ["car_label"]
    list_editable = ["slot"]
    list_filter = [
        ("session", SessionListFilter),
        "status",
        "car__colour",
        ("car__market", CountryFilter),
    ]
    list_select_related = ["session__event", "car__colour", "driver"]
    search_fields = ["car__vin", "car__nickname", "driver__email", "driver__display_name"]
    ordering = [
        "-session__event__starts_on",
        "session__starts_at",
        "session__pk",
        F("slot").asc(nulls_last=True),
        "created",
    ]
    list_per_page = 200
    readonly_fields = [
        "session",
        "car",
        "driver",
        "status",
        "requirements_confirmed",
        "checked_in_at",
        "created",
        "cancelled_at",
    ]
    fields = [*readonly_fields[:4], "slot", *readonly_fields[4:], "audit_trail"]
    readonly_fields = [*readonly_fields, "audit_trail"]
    actions = [
        "confirm_from_waitlist",
        "move_to_waitlist",
        "cancel",
        "check_in",
        "assign_by_signup",
        "assign_by_colour",
        "renumber",
        "export_csv",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_history_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        rows = entry_audit_rows(obj) if obj.pk else []
        if not rows:
            return "—"
        head = format_html_join(
            "",
            '<th scope="col">{}</th>',
            [(label,) for label in (_("when"), _("user"), _("field"), _("from"), _("to"), _("reason"))],
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            [(formats.localize(timezone.localtime(when)), who or "—", *rest) for when, who, *rest in rows],
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=EntryAdminForm, **kwargs)

    @admin.display(description=_("colour"), ordering="car__colour__sort_order")
    def colour_swatch(self, obj):
        return swatch(obj.car.colour.hex, obj.car.colour_label)

    @admin.display(description=_("market"), ordering="car__market")
    def market(self, obj):
        return obj.car.market.name

    @admin.display(description=_("car"), ordering="car__register_number")
    def car_label(self, obj):
        return str(obj.car)

    @admin.display(description=_("driver"), ordering="driver__display_name")
    def driver_label(self, obj):
        return str(obj.driver) if obj.driver else "—"

    @admin.display(description=_("checked in"), boolean=True, ordering="checked_in_at")
    def checked_in(self, obj):
        return obj.checked_in_at is not None

    def save_model(self, request, obj, form, change):
        if not (change and "slot" in form.changed_data):
            return
        # The service re-reads the entry under the session lock (earlier rows of the list may have been swapped).
        try:
            swapped = services.entry_set_slot(entry=obj, slot=obj.slot, by=request.user)
        except EntryError as exc:
            self.message_user(request, f"{obj.car}: {exc}", messages.ERROR)
            return
        if swapped is not None:
            # Two cars moved, not one: say so and name both.
            self.message_user(
                request,
                gettext("%(car)s and %(other)s swapped places: %(car)s is now slot %(slot)s, %(other)s slot %(old)s.")
                % {"car": obj.car, "other": swapped.car, "slot": obj.slot, "old": swapped.slot},
                messages.WARNING,
            )

    def _per_entry(self, request, queryset, service, done):
        for_each_selected(
            self,
            request,
            queryset.select_related("car", "session").order_by("session", "created", "pk"),
            lambda entry: service(entry=entry, by=request.user),
            done=done,
            refused=EntryError,
            label=lambda entry: entry.car,
        )

    @admin.action(description=_("Confirm from the waitlist"), permissions=["change"])
    def confirm_from_waitlist(self, request, queryset):
        self._per_entry(request, queryset, services.entry_confirm_from_waitlist, _("%(count)d entries confirmed."))

    @admin.action(description=_("Move to the waitlist"), permissions=["change"])
    def move_to_waitlist(self, request, queryset):
        self._per_entry(
            request, queryset, services.entry_move_to_waitlist, _("%(count)d entries moved to the waitlist.")
        )

    @admin.action(description=pgettext_lazy("entries", "Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        self._per_entry(request, queryset, services.entry_cancel, _("%(count)d entries cancelled."))

    @admin.action(description=_("Check in"), permissions=["change"])
    def check_in(self, request, queryset):
        self._per_entry(request, queryset, services.entry_check_in, _("%(count)d entries checked in."))

    def _sessions_of(self, queryset):
        return Session.objects.filter(pk__in=queryset.values("session_id")).select_related("event")

    @admin.action(description=_("Auto-assign slots by sign-up order (whole sessions)"), permissions=["change"])
    def assign_by_signup(self, request, queryset):
        return self._per_session(
            request,
            self._sessions_of(queryset),
            services.convoy_assign_by_signup,
            _("Slots assigned in %(count)d session(s)."),
            method="signup",
        )

    @admin.action(description=_("Auto-assign slots grouped by colour (whole sessions)"), permissions=["change"])
    def assign_by_colour(self, request, queryset):
        return self._per_session(
            request,
            self._sessions_of(queryset),
            services.convoy_assign_by_colour,
            _("Slots assigned in %(count)d session(s)."),
            method="colour",
        )

    @admin.action(description=_("Renumber slots 1…N (whole sessions)"), permissions=["change"])
    def renumber(self, request, queryset):
        return self._per_session(
            request,
            self._sessions_of(queryset),
            services.convoy_renumber,
            _("Slots renumbered in %(count)d session(s)."),
            method="renumber",
        )

    @admin.action(description=_("Export the selected entries as CSV (slot order)"), permissions=["view"])
    def export_csv(self, request, queryset):
        entries = queryset.select_related("session__event", "car__colour", "driver").order_by(
            "session__starts_at", "session", F("slot").asc(nulls_last=True), "created", "pk"
        )
        data = SpreadsheetCSV().export_data(EntryResource().export(entries))
        response = HttpResponse(data, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="entries.csv"'
        return response


# --- Messages to entrants -----------------------------------------------------------------------------------


class EntrantMessageRecipientInline(ReadOnlyTabularInline):
    model = EntrantMessageRecipient
    fields = ["user", "email"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and request.user.has_perm("events.change_event")


@admin.register(EntrantMessage)
class EntrantMessageAdmin(ReadOnlyAdmin):
    """Sent messages, read-only: they are written from the event's "Message to drivers" page. Whoever may
    change events (organisers) may read them."""

    list_display = ["subject", "event", "session", "include_waitlisted", "sent_at", "sent_by", "recipient_count"]
    list_filter = ["event"]
    list_select_related = ["event", "session__event", "sent_by"]
    search_fields = ["subject", "body"]
    fields = ["event", "session", "include_waitlisted", "subject", "body", "sent_by", "sent_at"]
    readonly_fields = fields
    inlines = [EntrantMessageRecipientInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_recipients=Count("recipients"))

    @admin.display(description=_("recipients"), ordering="n_recipients")
    def recipient_count(self, obj):
        return obj.n_recipients

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and request.user.has_perm("events.change_event")

    def has_module_permission(self, request):
        return self.has_view_permission(request)
