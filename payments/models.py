"""The bank side of entry fees: imported statements, their credits (one row per transfer, counted once by the
bank's key), the saved CSV column mappings and the refunds owed to payers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.iban import iban_masked
from payments.statements import CsvMapping


class Statement(models.Model):
    """One imported statement file: what it was and how many of its credits were new."""

    class Format(models.TextChoices):
        CAMT = "camt", "CAMT.053"
        MT940 = "mt940", "MT940"
        CSV = "csv", "CSV"

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    format = models.CharField(_("format"), max_length=10, choices=Format)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    credits_read = models.PositiveIntegerField(_("credits read"), default=0)
    credits_new = models.PositiveIntegerField(_("new credits"), default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self):
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d %H:%M})"

    def summary(self) -> str:
        """One line for the person who imported it: read, new, and what became of the new credits."""
        return gettext("%(read)d read, %(new)d new, %(paid)d paid, %(flagged)d flagged, %(unmatched)d unmatched.") % (
            self.outcome()
        )

    def outcome(self) -> dict[str, int]:
        """Credits read and new, and what became of the new ones (the credits this statement brought)."""
        status = BankTransaction.Status
        counts = dict(self.transactions.order_by().values_list("status").annotate(count=Count("pk")))
        return {
            "read": self.credits_read,
            "new": self.credits_new,
            "paid": counts.get(status.PAID, 0),
            "flagged": sum(counts.get(s, 0) for s in (status.UNDERPAID, status.OVERPAID, status.LATE)),
            "unmatched": counts.get(status.UNMATCHED, 0),
        }


class BankTransactionQuerySet(models.QuerySet):
    def needing_decision(self):
        """Credits a treasurer still has to look at: not matched, wrong amount, or for an expired entry."""
        return self.filter(status__in=BankTransaction.NEEDS_DECISION)


class BankTransaction(models.Model):
    """One credit of a statement, stored once: ``bank_reference`` is the Credit's key, so a re-import or an
    overlapping statement finds it already there."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")  # matched exactly: the entry is paid
        UNDERPAID = "underpaid", _("Underpaid")
        OVERPAID = "overpaid", _("Overpaid")
        UNMATCHED = "unmatched", _("Unmatched")
        LATE = "late", _("Late")  # its entry had expired or was cancelled: needs a decision
        IGNORED = "ignored", _("Ignored")
        REFUNDED = "refunded", _("Refunded")

    NEEDS_DECISION = (Status.UNDERPAID, Status.OVERPAID, Status.UNMATCHED, Status.LATE)

    bank_reference = models.CharField(_("bank reference"), max_length=100, unique=True)
    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("statement")
    )
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), max_digits=9, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    remittance = models.TextField(_("remittance information"), blank=True)
    payer_name = models.CharField(_("payer"), max_length=140, blank=True)
    payer_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.UNMATCHED)
    entry = models.ForeignKey(
        "events.Entry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_transactions",
        verbose_name=_("entry"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = BankTransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-booked_on", "-pk"]
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        permissions = [("treasurer", "Can import statements, match payments and export refunds")]
        indexes = [models.Index(fields=["status"], name="banktransaction_status")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="banktransaction_amount_positive"),
        ]

    def __str__(self):
        return f"{self.booked_on} {self.amount} {self.currency} {self.payer_name}".strip()

    @property
    def payer_iban_masked(self) -> str:
        return iban_masked(self.payer_iban)


class CsvLayout(models.Model):
    """A bank's CSV export, described once by the treasurer: the fields of ``payments.statements.CsvMapping``.
    Mark lists are stored one per line."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    date_column = models.CharField(_("date column"), max_length=100)
    amount_column = models.CharField(_("amount column"), max_length=100)
    remittance_column = models.CharField(_("remittance column"), max_length=100)
    payer_name_column = models.CharField(_("payer name column"), max_length=100)
    payer_iban_column = models.CharField(_("payer IBAN column"), max_length=100, blank=True)
    bank_reference_column = models.CharField(_("bank reference column"), max_length=100, blank=True)
    credit_debit_column = models.CharField(_("credit/debit column"), max_length=100, blank=True)
    debit_marks = models.TextField(_("debit marks"), blank=True, default="S\nD\nDBIT\nSOLL\nDEBIT")
    currency_column = models.CharField(_("currency column"), max_length=100, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    pending_column = models.CharField(_("pending column"), max_length=100, blank=True)
    pending_marks = models.TextField(_("pending marks"), blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=1, default=";")
    decimal_separator = models.CharField(_("decimal separator"), max_length=1, default=",")
    date_format = models.CharField(_("date format"), max_length=20, default="%d.%m.%Y")
    encoding = models.CharField(_("encoding"), max_length=20, default="cp1252")

    class Meta:
        ordering = ["name"]
        verbose_name = _("CSV layout")
        verbose_name_plural = _("CSV layouts")

    def __str__(self):
        return self.name

    def as_mapping(self) -> CsvMapping:
        def marks(text: str) -> tuple[str, ...]:
            return tuple(line.strip() for line in text.splitlines() if line.strip())

        return CsvMapping(
            name=self.name,
            date_column=self.date_column,
            amount_column=self.amount_column,
            remittance_column=self.remittance_column,
            payer_name_column=self.payer_name_column,
            payer_iban_column=self.payer_iban_column,
            bank_reference_column=self.bank_reference_column,
            credit_debit_column=self.credit_debit_column,
            debit_marks=marks(self.debit_marks),
            currency_column=self.currency_column,
            currency=self.currency,
            pending_column=self.pending_column,
            pending_marks=marks(self.pending_marks),
            delimiter=self.delimiter,
            decimal_separator=self.decimal_separator,
            date_format=self.date_format,
            encoding=self.encoding,
        )


class Refund(models.Model):
    """Money owed back to a payer: due when recorded, exported in a SEPA file, done when the bank sent it."""

    class Status(models.TextChoices):
        DUE = "due", _("Due")
        EXPORTED = "exported", _("Exported")
        DONE = "done", _("Done")

    OPEN = (Status.DUE, Status.EXPORTED)

    entry = models.ForeignKey(
        "events.Entry", on_delete=models.PROTECT, related_name="refunds", verbose_name=_("entry")
    )
    transaction = models.ForeignKey(
        BankTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("bank transaction"),
    )
    amount = models.DecimalField(_("amount"), max_digits=9, decimal_places=2)
    payer_name = models.CharField(_("payer"), max_length=140, blank=True)
    payer_iban = models.CharField(_("payer's IBAN"), max_length=34, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.DUE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    export_id = models.CharField(_("export message id"), max_length=35, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(status__in=["due", "exported"]),
                name="refund_one_open_per_transaction",
            ),
        ]

    def __str__(self):
        return f"{self.amount} → {self.payer_name}"

    @property
    def payer_iban_masked(self) -> str:
        return iban_masked(self.payer_iban)
