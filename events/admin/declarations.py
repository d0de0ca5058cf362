"""Declarations in the admin: each event's draft (edited here, published by a button or an action that call
``events.services.declaration_publish``), its published versions (read-only: a version never changes, see
``events/declarations.py``), and the signatures per entry (read-only, the PDF through the permission-checked view of
``events.views_declaration``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from events.models import Declaration, DeclarationSignature, DeclarationVersion
from events.services import EntryError, declaration_publish


class VersionInline(ReadOnlyTabularInline):
    model = DeclarationVersion
    fields = ["number", "published_at", "published_by", "signatures"]
    readonly_fields = fields
    ordering = ["-number"]

    @admin.display(description=_("signatures"))
    def signatures(self, obj):
        url = reverse("admin:events_declarationsignature_changelist") + f"?version__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.signatures.count())


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = ["event", "current_version", "updated"]
    list_select_related = ["event"]
    list_filter = ["event"]
    search_fields = ["event__name"]
    fields = ["event", "driver_text_en", "driver_text_de", "passenger_text_en", "passenger_text_de"]
    inlines = [VersionInline]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        return ["event"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # its versions are what people signed

    @admin.display(description=_("current version"))
    def current_version(self, obj):
        return obj.current or "—"

    def _publish(self, request, declaration) -> bool:
        try:
            version = declaration_publish(declaration=declaration, by=request.user)
        except EntryError as error:
            self.message_user(request, f"{declaration.event}: {error}", messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(event)s: version %(number)d published.") % {"event": declaration.event, "number": version.number},
        )
        return True

    @admin.action(description=_("Publish the draft as a new version"), permissions=["change"])
    def publish(self, request, queryset):
        for declaration in queryset.select_related("event"):
            self._publish(request, declaration)

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            self._publish(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)


@admin.register(DeclarationVersion)
class DeclarationVersionAdmin(ReadOnlyAdmin):
    list_display = ["declaration", "number", "published_at", "published_by"]
    list_filter = ["declaration__event"]
    list_select_related = ["declaration__event", "published_by"]
    fields = ["declaration", "number", "published_at", "published_by"] + list(Declaration.TEXT_FIELDS)


@admin.register(DeclarationSignature)
class DeclarationSignatureAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "event", "entry", "role", "version", "name", "method", "at_gate", "pdf_link"]
    list_display_links = None
    list_filter = ["version__declaration__event", "role", "method"]
    list_select_related = ["version__declaration__event", "entry__car", "entry__session", "collected_by"]
    search_fields = ["name", "entry__car__nickname", "entry__car__register_number"]
    ordering = ["-signed_at", "-pk"]
    # Not the file fields themselves: private files have no URL; the PDF (drawing included) opens through the view.
    fields = ["entry", "role", "version", "name", "method", "signed_at", "language", "collected_by", "pdf_link"]
    fields += ["sha256"]
    readonly_fields = ["pdf_link"]

    @admin.display(description=_("event"), ordering="version__declaration__event__starts_on")
    def event(self, obj):
        return obj.version.declaration.event

    @admin.display(description=_("at the gate"), boolean=True)
    def at_gate(self, obj):
        return obj.collected_by_id is not None

    @admin.display(description=_("signed PDF"))
    def pdf_link(self, obj):
        if not obj.pdf:
            return "—"
        url = reverse("events:declaration_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a> <small>SHA-256 {}…</small>', url, _("PDF"), obj.sha256[:12])
