"""The privacy page (generated from the map) and "Download my data"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.privacy.datamap import RECORDS
from portal.privacy.export import person_export
from portal.privacy.purposes import PURPOSES
from portal.privacy.schema import Erase


def privacy_sections() -> list[dict]:
    """Per purpose: why, on what basis, how long, and what is kept for it (per record: the fields and what
    erasure does to each), in the reader's language."""
    erase = dict(Erase.choices)
    sections = []
    for key, purpose in PURPOSES.items():
        items = []
        for record in RECORDS:
            fields = [
                {"what": personal.what, "erase": erase[personal.erase]}
                for personal in record.personal.values()
                if personal.purpose == key
            ]
            if fields:
                items.append({"title": record.title, "fields": fields})
        sections.append(
            {
                "key": key,
                "why": purpose.why,
                "basis": purpose.basis,
                "kept": purpose.kept_text(),
                "sources": purpose.sources,
                "items": items,
            }
        )
    return sections


def privacy(request):
    return render(request, "portal/privacy/privacy.html", {"sections": privacy_sections()})


def zip_response(content: bytes, *, user) -> HttpResponse:
    response = HttpResponse(content, content_type="application/zip")
    name = f"1m-register-data-{user.pk}-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def my_data(request):
    """The signed-in person's data as a ZIP (a POST: each export is recorded)."""
    return zip_response(person_export(user=request.user, by=request.user), user=request.user)
