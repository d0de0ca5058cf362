"""The driver's side of payments: the receipt of a paid entry fee."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from events.models import Entry
from payments.receipts import receipt_pdf


@never_cache
@login_required
def receipt(request, pk):
    """The receipt (PDF) of a paid entry, for those who may see the entry's ticket (``Entry.visible_to``: its
    driver, and whoever owned the car when it was made); anyone else, and an entry not paid, gets a 404."""
    entry = get_object_or_404(
        Entry.objects.visible_to(request.user)
        .filter(paid_at__isnull=False, amount_due__isnull=False)
        .select_related("session__event", "car__colour", "driver"),
        pk=pk,
    )
    response = HttpResponse(receipt_pdf(entry), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{entry.payment_reference or entry.pk}.pdf"'
    return response
