"""Messages sent to an event's drivers, read-only: organisers write them on the event's "Message to drivers"
page (``events.admin.events``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from events.models import EntrantMessage, EntrantMessageRecipient


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
