"""The treasurer's admin: import a bank statement (an upload page), the statements imported, the bank transactions
by status with the decisions on those that need one (assign to an entry, ignore, reinstate a late payment's
entry: each through ``payments.services``), and the saved CSV layouts. Everything needs the ``treasurer``
permission; payers' IBANs are shown masked. Nothing here is deleted: the statements are the books."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, ask_then_each, for_each_selected
from common.query import positive_int
from events.models import Entry
from events.payment_reference import payment_reference_find
from payments import services
from payments.models import BankTransaction, CsvLayout, Statement
from payments.refunds import RefundError, refund_create
from payments.services import PaymentError
from payments.statements import StatementError

LARGEST_UPLOAD = 5 * 1024 * 1024  # a month's CAMT.053 of a club is a few hundred kilobytes


def is_treasurer(request) -> bool:
    return request.user.has_perm("payments.treasurer")


class StatementImportForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("CAMT.053 (XML), MT940 or CSV as your online banking exports it; at most 5 MB."),
    )
    csv_layout = forms.ModelChoiceField(
        CsvLayout.objects.all(),
        required=False,
        label=_("CSV layout"),
        help_text=_("Only for a CSV file; empty: Sparkasse (CSV-CAMT V2) and Volksbank are recognised by themselves."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > LARGEST_UPLOAD:
            raise ValidationError(_("The file is larger than 5 MB: a bank statement is much smaller."), code="size")
        return upload


class AssignForm(forms.Form):
    entry = forms.CharField(
        label=_("Entry"),
        max_length=100,
        help_text=_("The entry's payment reference (e.g. 1M-K7QXA-4) or its number."),
    )

    def clean_entry(self):
        text = self.cleaned_data["entry"].strip()
        references = payment_reference_find(text)
        if references:
            entry = Entry.objects.filter(payment_reference=references[0]).first()
        else:
            number = positive_int(text.removeprefix("#"))
            entry = Entry.objects.filter(pk=number).first() if number else None
        if entry is None:
            raise ValidationError(_("No entry has this payment reference or number."), code="unknown")
        return entry


class IgnoreForm(forms.Form):
    note = forms.CharField(
        label=_("Why"),
        max_length=200,
        help_text=_("Kept with the payment, e.g. “membership fee” or “donation”."),
    )


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=200,
        help_text=_("Kept with the refund, e.g. “no place free after the deadline” or “paid twice”."),
    )


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "format", "imported_at", "imported_by", "credits_read", "credits_new"]
    list_filter = ["format"]
    list_select_related = ["imported_by"]
    search_fields = ["file_name"]
    fields = ["file_name", "format", "sha256", "imported_at", "imported_by", "credits_read", "credits_new"]

    def has_view_permission(self, request, obj=None):
        return is_treasurer(request) and super().has_view_permission(request, obj)

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="payments_statement_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a statement: its new credits are stored and matched (``services.statement_import``). A file
        that cannot be read is answered next to the field."""
        if not is_treasurer(request):
            raise PermissionDenied
        form = StatementImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = services.statement_import(
                    data=upload.read(),
                    file_name=upload.name or "statement",
                    by=request.user,
                    csv_layout=form.cleaned_data["csv_layout"],
                )
            except StatementError as error:
                form.add_error("file", str(error))
            else:
                self.message_user(request, f"{statement.file_name}: {statement.summary()}", messages.SUCCESS)
                return redirect(reverse("admin:payments_banktransaction_changelist", current_app=self.admin_site.name))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import a bank statement"),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/statement/import.html", context)


class NeedsDecisionFilter(admin.SimpleListFilter):
    title = _("decision")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Needs a decision"))]

    def queryset(self, request, queryset):
        return queryset.needing_decision() if self.value() == "yes" else queryset


@admin.register(BankTransaction)
class BankTransactionAdmin(admin.ModelAdmin):
    """Read-only rows; what changes them are the actions, each a service."""

    list_display = [
        "booked_on",
        "amount_eur",
        "payer_name",
        "payer_iban_masked",
        "remittance_short",
        "status",
        "entry_link",
    ]
    list_filter = [NeedsDecisionFilter, "status", "booked_on"]
    list_select_related = ["entry"]
    search_fields = ["remittance", "payer_name", "entry__payment_reference", "bank_reference"]
    actions = ["assign", "ignore", "reinstate", "refund"]
    fields = [
        "booked_on",
        "amount",
        "currency",
        "payer_name",
        "payer_iban_masked",
        "remittance",
        "status",
        "entry",
        "decided_by",
        "decided_at",
        "note",
        "bank_reference",
        "statement",
    ]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return is_treasurer(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_treasurer_permission(self, request):
        return is_treasurer(request)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_eur(self, obj):
        return f"{obj.amount} {obj.currency}"

    @admin.display(description=_("payer's IBAN"))
    def payer_iban_masked(self, obj):
        return obj.payer_iban_masked

    @admin.display(description=_("remittance information"))
    def remittance_short(self, obj):
        return Truncator(obj.remittance).chars(60)

    @admin.display(description=_("entry"), ordering="entry")
    def entry_link(self, obj):
        if obj.entry is None:
            return "—"
        url = reverse("admin:events_entry_change", args=[obj.entry_id], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, obj.entry.payment_reference or f"#{obj.entry_id}")

    def _decide(self, request, transactions, **page):
        """Ask (an entry, a note, a reason) on a page of its own, then decide each credit through its service."""
        return ask_then_each(
            self, request, transactions, template="admin/payments/banktransaction/decide.html", **page
        )

    @admin.action(description=_("Assign to entry…"), permissions=["treasurer"])
    def assign(self, request, queryset):
        transactions = list(queryset.order_by("booked_on", "pk"))
        if len(transactions) != 1:
            self.message_user(request, gettext("Select one payment to assign."), messages.WARNING)
            return None
        return self._decide(
            request,
            transactions,
            action="assign",
            form_class=AssignForm,
            run=lambda transaction, data: services.transaction_assign(
                transaction=transaction, entry=data["entry"], by=request.user
            ),
            done=ngettext_lazy("%(count)d payment assigned.", "%(count)d payments assigned.", "count"),
            refused=PaymentError,
            title=gettext("Assign to entry"),
            explanation=gettext(
                "The payment pays the entry if it awaits payment of exactly this amount: the place is confirmed "
                "and the driver emailed the ticket. Otherwise the payment stays flagged, with the entry noted."
            ),
        )

    @admin.action(description=_("Ignore…"), permissions=["treasurer"])
    def ignore(self, request, queryset):
        transactions = list(queryset.order_by("booked_on", "pk"))
        return self._decide(
            request,
            transactions,
            action="ignore",
            form_class=IgnoreForm,
            run=lambda transaction, data: services.transaction_ignore(
                transaction=transaction, by=request.user, note=data["note"]
            ),
            done=ngettext_lazy("%(count)d payment ignored.", "%(count)d payments ignored.", "count"),
            refused=PaymentError,
            title=gettext("Ignore payments"),
            explanation=gettext("These payments are no entry's fee: they are set aside with your note."),
        )

    @admin.action(description=_("Reinstate the entry"), permissions=["treasurer"])
    def reinstate(self, request, queryset):
        for_each_selected(
            self,
            request,
            queryset.select_related("entry").order_by("booked_on", "pk"),
            lambda transaction: services.transaction_reinstate(transaction=transaction, by=request.user),
            done=ngettext_lazy("%(count)d entry reinstated.", "%(count)d entries reinstated.", "count"),
            refused=PaymentError,
        )

    @admin.action(description=_("Refund…"), permissions=["treasurer"])
    def refund(self, request, queryset):
        """A late credit (its entry expired or was cancelled, no place to reinstate) goes back in full, an overpaid
        one by its excess: a refund due, exported with the others as a SEPA file (``payments.refunds``)."""
        transactions = list(queryset.select_related("entry").order_by("booked_on", "pk"))
        return self._decide(
            request,
            transactions,
            action="refund",
            form_class=RefundForm,
            run=lambda transaction, data: refund_create(
                transaction=transaction, by=request.user, reason=data["reason"]
            ),
            done=ngettext_lazy("%(count)d refund recorded.", "%(count)d refunds recorded.", "count"),
            refused=RefundError,
            title=gettext("Refund payments"),
            explanation=gettext(
                "A late payment goes back in full, an overpaid one by what exceeds the fee. The refunds are exported "
                "with the others as a SEPA transfer file."
            ),
        )


@admin.register(CsvLayout)
class CsvLayoutAdmin(admin.ModelAdmin):
    list_display = ["name", "date_column", "amount_column", "delimiter", "decimal_separator", "date_format"]
    search_fields = ["name"]

    def has_view_permission(self, request, obj=None):
        return is_treasurer(request) and super().has_view_permission(request, obj)
