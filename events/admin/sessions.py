"""The session pages of the admin: capacity through its service, the automatic convoy orders (asked first when they
would overwrite an order made by hand), the drag-and-drop convoy page and the marshal sheet."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.admin import LabelledDateTimes, for_each_selected
from events import marshal, services
from events.models import Entry, Session
from events.services import EntryError


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
            "fee",
            "laps",
            "pace_car",
            "requirements",
            "declaration_required",
        ]

    def clean_capacity(self):
        # The service re-checks under a row lock; this check puts the message next to the field.
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity is not None:
            confirmed = Entry.objects.holding_place().filter(session_id=self.instance.pk).count()
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


# The automatic convoy orders, by their key in ``services.AUTOMATIC_ORDERS``: the service that numbers one session
# and what the action reports. The session list and the entry list both run them, through ``convoy_order_action``.
CONVOY_ORDERS = {
    "signup": (services.convoy_assign_by_signup, _("Slots assigned in %(count)d session(s).")),
    "colour": (services.convoy_assign_by_colour, _("Slots assigned in %(count)d session(s).")),
    "renumber": (services.convoy_renumber, _("Slots renumbered in %(count)d session(s).")),
}


def convoy_order_action(method: str, *, description, permission: str):
    """An admin action that runs the automatic order ``method`` (a key of ``CONVOY_ORDERS``) on whole sessions:
    those its admin's ``convoy_sessions`` finds in the selection."""

    @admin.action(description=description, permissions=[permission])
    def action(modeladmin, request, queryset):
        return modeladmin.convoy_order_run(request, modeladmin.convoy_sessions(queryset), method=method)

    return action


class ConvoyOrders:
    """Runs the automatic convoy orders for the admins whose actions ``convoy_order_action`` makes."""

    def convoy_sessions(self, queryset):
        """The sessions the selected objects stand for (here: the selected sessions themselves)."""
        return queryset

    def convoy_order_run(self, request, sessions, *, method: str):
        """Run the automatic order ``method`` on each session; first ask on a confirmation page when it would
        move cars of an order made by hand."""
        service, done = CONVOY_ORDERS[method]
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
class SessionAdmin(LabelledDateTimes, ConvoyOrders, admin.ModelAdmin):
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

    assign_by_signup = convoy_order_action(
        "signup", description=_("Auto-assign slots by sign-up order"), permission="change_entries"
    )
    assign_by_colour = convoy_order_action(
        "colour", description=_("Auto-assign slots grouped by colour"), permission="change_entries"
    )
    renumber = convoy_order_action("renumber", description=_("Renumber slots 1…N"), permission="change_entries")

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


class SessionListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        # One query: a session's label needs its event.
        sessions = Session.objects.select_related("event").order_by("-event__starts_on", "starts_at", "pk")
        return [(session.pk, str(session)) for session in sessions]
