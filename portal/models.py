"""What spans the apps and keeps a record: requests about a person's data (an export, an erasure) and the runs of
the retention job (``portal/privacy/``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataRequest(models.Model):
    """One export or erasure of a person's data: who asked for it or did it, and when (the audit of art. 15,
    17 and 20 GDPR). The person is named by their account number only, which outlives an erased account."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Data export")
        ERASURE = "erasure", _("Erasure")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    subject_id = models.PositiveIntegerField(_("account number"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    by_staff = models.BooleanField(_("by staff on request"), default=False)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        permissions = [("handle_personal_data", "Can export and erase a person's data on request")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.subject_id}"


class RetentionRun(models.Model):
    """One run of the daily retention job: when, and how many records each rule erased."""

    started = models.DateTimeField(_("started"))
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    # {rule key: records erased}; the keys are those of ``portal.privacy.retention.RULES``.
    counts = models.JSONField(_("records erased"), default=dict)

    class Meta:
        ordering = ["-started", "-pk"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self):
        return f"{self.started:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
