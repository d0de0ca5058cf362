"""The entry admin's part for the gate (``events/attention.py``), for the organisers only (``services.is_organiser``;
the treasurers read entries too, and see none of it): the attention note, written on the entry's page or given to
many entries at once by an action, and the driver's emergency contact, shown on the entry's page. Every change
goes through ``services.attention_flag`` and ``services.attention_clear``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import ask_then_each, for_each_selected
from events import services
from events.attention import NOTE_MAX
from events.forms_attention import AttentionForm
from events.services import EntryError

GATE_FIELDS = ["attention_note", "emergency_contact_shown"]


class AttentionFormMixin(forms.ModelForm):
    """The entry's page: its attention note as a field of its own (empty: no flag)."""

    attention_note = forms.CharField(
        label=_("Attention at the gate"),
        max_length=NOTE_MAX,
        required=False,
        help_text=_(
            "Shown in large type when the car is checked in, e.g. “first time on the Nordschleife”. Empty: no flag."
        ),
        widget=forms.TextInput(attrs={"size": 60}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        attention = getattr(self.instance, "attention", None) if self.instance.pk else None
        self.fields["attention_note"].initial = attention.note if attention else ""

    def clean_attention_note(self):
        return " ".join(self.cleaned_data["attention_note"].split())


class AttentionAdmin:
    """Mixed into the entry admin (``events.admin.entries.EntryAdmin``) before its other bases."""

    def _gate_staff(self, request) -> bool:
        return services.is_organiser(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and self._gate_staff(request) and self.has_change_permission(request, obj):
            kwargs["form"] = type("EntryChangeForm", (AttentionFormMixin, self.form), {})
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and self._gate_staff(request):
            at = fields.index("driver") + 1 if "driver" in fields else len(fields)
            fields[at:at] = GATE_FIELDS
        return fields

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "attention_flag"] if self._gate_staff(request) else columns

    def get_list_select_related(self, request):
        related = list(super().get_list_select_related(request) or [])
        return [*related, "attention"] if self._gate_staff(request) else related

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "emergency_contact_shown"]

    @admin.display(description=_("emergency contact"))
    def emergency_contact_shown(self, obj):
        contact = getattr(obj, "emergency_contact", None)
        if contact is None:
            return "—"
        return format_html('{}, <a href="tel:{}">{}</a>', contact.name, contact.phone_tel, contact.phone_display)

    @admin.display(description=_("Attention at the gate"))
    def attention_note(self, obj):
        """The note as text, where the page is read-only."""
        attention = getattr(obj, "attention", None)
        return attention.note if attention else "—"

    @admin.display(description=_("attention"))
    def attention_flag(self, obj):
        attention = getattr(obj, "attention", None)
        if attention is None:
            return ""
        return format_html('<span title="{}">⚠ {}</span>', attention.note, attention.note[:40])

    def save_related(self, request, form, formsets, change):
        """After the entry's own save (``EntryAdmin.save_model``: the slot, through its service)."""
        obj = form.instance
        if change and "attention_note" in form.changed_data:
            note = form.cleaned_data["attention_note"]
            try:
                if note:
                    services.attention_flag(entry=obj, by=request.user, note=note)
                else:
                    services.attention_clear(entry=obj, by=request.user)
            except EntryError as exc:
                self.message_user(request, f"{obj.car}: {exc}", messages.ERROR)
        super().save_related(request, form, formsets, change)

    @admin.action(description=_("Flag for attention at the gate…"), permissions=["change"])
    def flag_attention(self, request, queryset):
        entries = list(queryset.select_related("car", "driver", "session", "attention").order_by("session", "pk"))
        return ask_then_each(
            self,
            request,
            entries,
            form_class=AttentionForm,
            template="admin/events/entry/attention_action.html",
            action="flag_attention",
            title=gettext("Flag for attention at the gate"),
            explanation=gettext(
                "The gate shows this note in large type when each of these cars is checked in, online and on the "
                "phones at their next sync. It replaces a note the entry has."
            ),
            run=lambda entry, data: services.attention_flag(entry=entry, by=request.user, note=data["note"]),
            done=ngettext_lazy("%(count)d entry flagged.", "%(count)d entries flagged.", "count"),
            refused=EntryError,
            label=lambda entry: entry.car,
        )

    @admin.action(description=_("Take the attention flag off"), permissions=["change"])
    def clear_attention(self, request, queryset):
        flagged = queryset.filter(attention__isnull=False).select_related("car").order_by("session", "pk")
        for_each_selected(
            self,
            request,
            flagged,
            lambda entry: services.attention_clear(entry=entry, by=request.user),
            done=ngettext_lazy("%(count)d flag taken off.", "%(count)d flags taken off.", "count"),
            refused=EntryError,
            label=lambda entry: entry.car,
        )
