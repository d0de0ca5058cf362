"""The entry list of the admin: slots typed in the list (through ``entry_set_slot``), the waitlist and check-in
actions, the payment actions (mark paid, extend the deadline: each asks for a reason on a page of its own), the
automatic convoy orders over the selected entries' sessions, the gate's attention notes (``events.admin.attention``),
and the CSV export in slot order. Entries are created by sign-up and never deleted here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from common.admin import HistoryAdmin, ask_then_each, for_each_selected, swatch
from events import services
from events.admin.attention import AttentionAdmin
from events.admin.audit import entry_audit_rows
from events.admin.gate import gate_scan_table
from events.admin.sessions import ConvoyOrders, SessionListFilter, convoy_order_action
from events.models import Entry, Session
from events.resources import EntryResource
from events.services import EntryError
from register.spreadsheet import SpreadsheetCSV


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


class PaymentActionForm(forms.Form):
    """What an organiser says when marking entries paid or moving their deadline: why (kept in the history)."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=80,
        help_text=_("Kept in each entry's history, e.g. “cash at the gate” or “transfer on its way”."),
    )


class ExtendPaymentForm(PaymentActionForm):
    until = forms.DateTimeField(
        label=_("New deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Europe/Berlin time; not after the session starts."),
    )
    field_order = ["until", "reason"]


@admin.register(Entry)
class EntryAdmin(AttentionAdmin, ConvoyOrders, HistoryAdmin):
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
        "payment",
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
    search_fields = ["car__vin", "car__nickname", "driver__email", "driver__display_name", "payment_reference"]
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
        "amount_due",
        "payment_reference",
        "payment_due",
        "paid_at",
        "payment_reminded_at",
    ]
    fields = [*readonly_fields[:4], "slot", *readonly_fields[4:], "gate_scans", "audit_trail"]
    readonly_fields = [*readonly_fields, "gate_scans", "audit_trail"]
    actions = [
        "confirm_from_waitlist",
        "move_to_waitlist",
        "cancel",
        "check_in",
        "mark_paid",
        "extend_payment",
        "flag_attention",
        "clear_attention",
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

    @admin.display(description=_("scans at the gate"))
    def gate_scans(self, obj):
        return gate_scan_table(obj)

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

    @admin.display(description=_("payment"), ordering="payment_due")
    def payment(self, obj):
        """The fee and where it stands: paid (when), or the deadline of a place awaiting payment."""
        if obj.amount_due is None:
            return "—"
        amount = formats.number_format(obj.amount_due, 2) + " €"
        if obj.paid_at:
            when = formats.date_format(timezone.localtime(obj.paid_at), "SHORT_DATETIME_FORMAT")
            return gettext("%(amount)s, paid %(when)s") % {"amount": amount, "when": when}
        if obj.payment_due:
            when = formats.date_format(timezone.localtime(obj.payment_due), "SHORT_DATETIME_FORMAT")
            return gettext("%(amount)s, due %(when)s") % {"amount": amount, "when": when}
        return amount

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

    @admin.action(description=_("Mark paid (cash at the gate)"), permissions=["change"])
    def mark_paid(self, request, queryset):
        return self._payment_action(
            request,
            queryset,
            action="mark_paid",
            form_class=PaymentActionForm,
            title=gettext("Mark paid"),
            explanation=gettext(
                "Each entry below that awaits payment is confirmed and its driver emailed the ticket. "
                "Do this only when the fee has been paid, e.g. in cash at the gate."
            ),
            service=lambda entry, data: services.entry_mark_paid(entry=entry, by=request.user, reason=data["reason"]),
            done=ngettext_lazy("%(count)d entry marked paid.", "%(count)d entries marked paid.", "count"),
        )

    @admin.action(description=_("Extend the payment deadline"), permissions=["change"])
    def extend_payment(self, request, queryset):
        return self._payment_action(
            request,
            queryset,
            action="extend_payment",
            form_class=ExtendPaymentForm,
            title=gettext("Extend the payment deadline"),
            explanation=gettext(
                "Each entry below that awaits payment keeps its place until the new deadline; its driver is "
                "emailed the new deadline."
            ),
            service=lambda entry, data: services.entry_extend_payment(
                entry=entry, until=data["until"], by=request.user, reason=data["reason"]
            ),
            done=ngettext_lazy(
                "%(count)d payment deadline extended.", "%(count)d payment deadlines extended.", "count"
            ),
        )

    def _payment_action(self, request, queryset, *, service, **page):
        """Ask for the reason (and date) on a page of its own, then call the service per entry."""
        entries = list(queryset.select_related("car", "driver", "session").order_by("session", "created", "pk"))
        return ask_then_each(
            self,
            request,
            entries,
            template="admin/events/entry/payment_action.html",
            run=service,
            refused=EntryError,
            label=lambda entry: entry.car,
            **page,
        )

    def convoy_sessions(self, queryset):
        return Session.objects.filter(pk__in=queryset.values("session_id")).select_related("event")

    assign_by_signup = convoy_order_action(
        "signup", description=_("Auto-assign slots by sign-up order (whole sessions)"), permission="change"
    )
    assign_by_colour = convoy_order_action(
        "colour", description=_("Auto-assign slots grouped by colour (whole sessions)"), permission="change"
    )
    renumber = convoy_order_action(
        "renumber", description=_("Renumber slots 1…N (whole sessions)"), permission="change"
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
