from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """The bank side of entry fees: statements read, credits matched, refunds, books. Builds on events."""

    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from payments import receivers  # noqa: F401 (payments' part of events' changes: refunds of cancelled entries)
