"""The gate's scans in the admin, read-only: every scan of every event (check-ins, flagged duplicates,
refusals) filtered by outcome and event, and each entry's scans on its change page. Written by the check-in
services only (``events.services.checkin``); organisers read them (view permission, ``portal.roles``)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from events.models import GateScan


@admin.register(GateScan)
class GateScanAdmin(ReadOnlyAdmin):
    list_display = ["scanned_at", "event", "entry_link", "where", "by", "outcome", "reason", "received_at"]
    list_display_links = None
    list_filter = ["outcome", "reason", "event"]
    list_select_related = ["event", "entry__car", "entry__session", "by"]
    search_fields = ["entry__car__nickname", "entry__car__register_number", "device"]
    ordering = ["-scanned_at", "-pk"]
    list_per_page = 100

    @admin.display(description=_("entry"), ordering="entry__car__register_number")
    def entry_link(self, obj):
        url = reverse("admin:events_entry_change", args=[obj.entry_id], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a> · {}', url, obj.entry.car, obj.entry.session.name)

    @admin.display(description=_("device"), ordering="device")
    def where(self, obj):
        return obj.where


class GateScanInline(ReadOnlyTabularInline):
    """The entry's scans at the gate, oldest first, on its change page."""

    model = GateScan
    fields = ["scanned_at", "where", "by", "outcome", "reason", "received_at"]
    readonly_fields = fields
    ordering = ["scanned_at", "pk"]
    verbose_name_plural = _("scans at the gate")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("device"))
    def where(self, obj):
        return obj.where
