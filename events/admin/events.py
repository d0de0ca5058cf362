"""The event pages of the admin: an event with its sessions inline, publishing its roster (a page says what
it will do first), and the message to its drivers, sent through the outbox."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import DateHierarchyAdmin, LabelledDateTimes, admin_pk, for_each_selected
from common.query import positive_int
from events import services
from events.forms import EntrantMessageForm
from events.models import EntrantMessage, Entry, Event, Session
from events.services import EntryError


class SessionInlineForm(forms.ModelForm):
    """Capacity of an existing session is changed on the session's own page, through the capacity service."""

    class Meta:
        model = Session
        fields = ["name", "slug", "kind", "track", "starts_at", "ends_at", "capacity", "fee", "laps", "pace_car"]

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
    fields = [("name", "slug"), ("kind", "track"), ("starts_at", "ends_at"), ("capacity", "fee"), ("laps", "pace_car")]


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
