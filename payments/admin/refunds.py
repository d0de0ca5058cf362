"""The treasurer's admin of refunds and the books: the refunds (listed, the due ones exported as one SEPA transfer
file, marked done; written by ``payments.refunds``), and the event's page with its money totals and the books
download for treasurers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import admin_pk
from events.admin.events import EventAdmin
from events.models import Event
from payments.books import event_books_file, event_books_totals
from payments.models import Refund
from payments.refunds import RefundError, refunds_export, refunds_mark_done
from register import spreadsheet

# --- Refunds and books ----------------------------------------------------------------------------------------
# Refunds are written by the services (payments.refunds): the admin lists them, exports the due ones as a SEPA
# file and marks them done. The event's page gains the money totals and the books download for treasurers.

TREASURER = "payments.treasurer"


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reference", "payer_name", "payer_iban_masked", "amount", "status", "export_id"]
    list_filter = ["status"]
    search_fields = ["entry__payment_reference", "payer_name", "export_id"]
    list_select_related = ["entry"]
    fields = [
        "entry",
        "transaction",
        "amount",
        "payer_name",
        "payer_iban_masked",
        "reason",
        "status",
        "created_at",
        "exported_at",
        "export_id",
        "done_at",
        "done_by",
    ]
    readonly_fields = fields
    actions = ["export_pain001", "mark_done"]

    @admin.display(description=_("reference"), ordering="entry__payment_reference")
    def reference(self, refund):
        return refund.entry.payment_reference or "—"

    @admin.display(description=_("payer's IBAN"))
    def payer_iban_masked(self, refund):
        return refund.payer_iban_masked or _("none: refund in cash")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_treasurer_permission(self, request):
        return request.user.has_perm(TREASURER)

    @admin.action(description=_("Export as SEPA transfer file (pain.001)"), permissions=["treasurer"])
    def export_pain001(self, request, queryset):
        try:
            document, export_id = refunds_export(refunds=queryset, by=request.user)
        except RefundError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        response = HttpResponse(document, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{export_id}.xml"'
        return response

    @admin.action(description=_("Mark done"), permissions=["treasurer"])
    def mark_done(self, request, queryset):
        count = refunds_mark_done(refunds=queryset, by=request.user)
        self.message_user(
            request,
            ngettext("%(count)d refund marked done.", "%(count)d refunds marked done.", count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


class EventWithBooksAdmin(EventAdmin):
    """The event's admin page, plus (for treasurers) its money totals and a download of its books. Events knows
    nothing of payments: payments registers this in place of events' own ``EventAdmin``."""

    change_form_template = "admin/payments/event_change_form.html"

    def get_urls(self):
        return [
            path(
                "<int:object_id>/books.csv",
                self.admin_site.admin_view(self.books_view),
                name="payments_event_books",
            ),
            *super().get_urls(),
        ]

    def books_view(self, request, object_id):
        """Every payment, refund and outstanding amount of the event as CSV (``payments.books``)."""
        if not (self.has_view_permission(request) and request.user.has_perm(TREASURER)):
            raise PermissionDenied
        event = get_object_or_404(Event, pk=object_id)
        separator = spreadsheet.csv_separator(request.GET.get("sep"))
        response = HttpResponse(event_books_file(event, separator=separator), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{event.slug}-books.csv"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pk = admin_pk(Event, object_id)
        treasurer = request.user.has_perm(TREASURER)
        event = Event.objects.filter(pk=pk).first() if pk is not None and treasurer else None
        extra_context = {**(extra_context or {}), "books_totals": event_books_totals(event) if event else None}
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(Event)
admin.site.register(Event, EventWithBooksAdmin)
