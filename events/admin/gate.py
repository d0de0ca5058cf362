"""The gate's scans in the admin, read-only: every scan of every event (check-ins, flagged duplicates, refusals)
filtered by outcome and event, and each entry's scans as a table on its change page. Written by the check-in
services only (``events.services.checkin``); organisers read them (view permission, ``portal.roles``)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin
from events.models import GateScan


@admin.register(GateScan)
class GateScanAdmin(ReadOnlyAdmin):
    list_display = ["scanned_at", "event", "entry_link", "session", "where", "by", "outcome", "reason", "received_at"]
    list_display_links = None
    list_filter = ["outcome", "reason", "event"]
    list_select_related = ["event", "entry__car", "entry__session", "by"]
    search_fields = ["entry__car__nickname", "entry__car__register_number", "device"]
    ordering = ["-scanned_at", "-pk"]
    list_per_page = 100

    @admin.display(description=_("entry"), ordering="entry__car__register_number")
    def entry_link(self, obj):
        url = reverse("admin:events_entry_change", args=[obj.entry_id], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, obj.entry.car)

    @admin.display(description=_("session"), ordering="entry__session__starts_at")
    def session(self, obj):
        return obj.entry.session.name

    @admin.display(description=_("device"), ordering="device")
    def where(self, obj):
        return obj.where


def gate_scan_table(entry) -> str:
    """The entry's scans at the gate, oldest first, as a table for its change page (like its audit trail)."""
    scans = list(entry.gate_scans.select_related("by").order_by("scanned_at", "pk")) if entry.pk else []
    if not scans:
        return "—"
    head = format_html_join(
        "",
        '<th scope="col">{}</th>',
        [(label,) for label in (_("scanned at"), _("device"), _("by"), _("outcome"), _("reason"), _("received at"))],
    )
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        [
            (
                formats.localize(timezone.localtime(scan.scanned_at)),
                scan.where,
                scan.by or "—",
                scan.get_outcome_display(),
                scan.get_reason_display(),
                formats.localize(timezone.localtime(scan.received_at)),
            )
            for scan in scans
        ],
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)
