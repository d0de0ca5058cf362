"""The entries' audit trail as organisers read it: one row per changed field, and the list of every entry's changes
across sessions; both read django-simple-history's snapshots and write nothing."""

from __future__ import annotations

import datetime

from django.contrib import admin
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import DateHierarchyAdmin, ReadOnlyAdmin
from events.admin.sessions import SessionListFilter
from events.models import Entry

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
    """A change's stored reason (in English, see ``events.services._base._audited``) in the reader's language.

    A reason the catalogue does not know (the demo data's, or one naming a car: "slot swapped with #12 …")
    is shown as stored; one made of a known reason and an organiser's words ("marked paid: cash at the gate",
    see ``events.services.payments``) has the known part translated and the words as typed."""
    if not stored:
        return ""
    translated = gettext(stored)
    if translated == stored and ": " in stored:
        head, words = stored.split(": ", 1)
        return f"{gettext(head)}: {words}"
    return translated


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
