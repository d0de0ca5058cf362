"""Declarations in the admin: organisers write the draft and publish it; versions and signatures are read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events.models import Declaration, DeclarationSignature, DeclarationVersion
from tests.events.declaring import published, sign
from tests.factories import EntryFactory, EventFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def draft_data(event, **texts):
    return {
        "event": event.pk,
        "driver_text_en": "I drive at my own risk.",
        "driver_text_de": "Ich fahre auf eigene Gefahr.",
        "passenger_text_en": "",
        "passenger_text_de": "",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        **texts,
    }


def test_an_organiser_writes_saves_and_publishes_then_edits_and_publishes_again(organiser_client):
    event = EventFactory()
    response = organiser_client.post(reverse("admin:events_declaration_add"), draft_data(event))
    assert response.status_code == 302
    declaration = Declaration.objects.get(event=event)
    change = reverse("admin:events_declaration_change", args=[declaration.pk])
    assert "Save and publish as a new version" in organiser_client.get(change).content.decode()

    organiser_client.post(change, draft_data(event) | {"_publish": "1"})
    organiser_client.post(change, draft_data(event, driver_text_en="Helmets on.") | {"_publish": "1"})
    again = organiser_client.post(
        change, draft_data(event, driver_text_en="Helmets on.") | {"_publish": "1"}, follow=True
    )

    assert list(DeclarationVersion.objects.values_list("number", "driver_text_en")) == [
        (1, "I drive at my own risk."),
        (2, "Helmets on."),
    ]
    assert "Nothing changed since version 2" in again.content.decode()
    assert DeclarationVersion.objects.get(number=1).published_by.email == "organiser@example.org"


def test_versions_and_signatures_are_read_only_and_the_pdf_is_linked(organiser_client):
    entry = EntryFactory(session=SessionFactory(declaration_required=True))
    version = published(entry.session.event)
    signature = sign(entry, version)

    version_page = reverse("admin:events_declarationversion_change", args=[version.pk])
    assert organiser_client.get(version_page).status_code == 200
    assert organiser_client.post(version_page, {"number": 7}).status_code == 403
    listing = organiser_client.get(reverse("admin:events_declarationsignature_changelist")).content.decode()
    assert reverse("events:declaration_pdf", args=[signature.pk]) in listing
    assert signature.sha256[:12] in listing
    signature_page = reverse("admin:events_declarationsignature_change", args=[signature.pk])
    assert organiser_client.post(signature_page, {"name": "Someone else"}).status_code == 403
    assert DeclarationSignature.objects.get().name == "Dana Driver"
    delete = reverse("admin:events_declaration_delete", args=[version.declaration.pk])
    assert organiser_client.post(delete, {"post": "yes"}).status_code == 403


def test_the_events_page_links_its_declaration(organiser_client):
    entry = EntryFactory(session=SessionFactory(declaration_required=True))
    published(entry.session.event)
    event = entry.session.event

    page = organiser_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    link = reverse("admin:events_declaration_changelist") + f"?event__id__exact={event.pk}"
    listing = organiser_client.get(link)

    assert link in page
    assert listing.status_code == 200 and listing.context["cl"].result_count == 1
