"""The declaration pages: sign-up leads to signing, bad input is answered next to the field and stores nothing,
the PDF is for the driver and the organisers only, the gate shows and takes signatures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from events.models import DeclarationSignature, Entry
from events.services import passenger_name
from tests.events.declaring import DRIVER_DE, data_url, drawing_png, published, sign
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def entry():
    entry = EntryFactory(session=SessionFactory(declaration_required=True))
    published(entry.session.event)
    return entry


def page_url(entry):
    return reverse("events:declaration", args=[entry.pk])


def post(client, entry, **data):
    version = entry.session.event.declaration.current.pk
    return client.post(page_url(entry), {"role": "driver", "driver-version": version, **data})


def test_signing_up_for_a_session_that_needs_it_leads_to_the_declaration(client):
    session = SessionFactory(declaration_required=True)
    published(session.event)
    car = VerifiedCarFactory()
    client.force_login(car.owner)

    response = client.post(reverse("events:signup", args=[session.event.slug, session.slug]), {"car": car.pk})

    entry = Entry.objects.get(car=car)
    assert response.status_code == 302 and response["Location"] == page_url(entry)
    page = client.get(page_url(entry)).content.decode()
    assert "Driver’s declaration, version 1" in page and "own risk" in page


def test_the_page_shows_the_text_in_the_readers_language(client, entry):
    entry.driver.language = "de"
    entry.driver.save()
    client.force_login(entry.driver)

    page = client.get(page_url(entry), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert DRIVER_DE in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"driver-name": "", "driver-typed": "on"}, "driver-name", "Type the full name."),
        ({"driver-name": "Dana Driver"}, "driver-signature", "Please draw the signature"),
        (
            {"driver-name": "Dana Driver", "driver-signature": "data:text/html,<script>"},
            "driver-signature",
            "could not",
        ),
        (
            {"driver-name": "Dana Driver", "driver-signature": "data:image/png;base64," + "A" * 500_000},
            "driver-signature",
            "too large",
        ),
        (
            {"driver-name": "Dana Driver", "driver-signature": data_url(drawing_png(ink=False))},
            "driver-signature",
            "Please draw",
        ),
        ({"driver-name": "x" * 121, "driver-typed": "on"}, "driver-name", "at most 120"),
    ],
)
def test_bad_input_is_answered_next_to_the_field_and_nothing_is_stored(client, entry, data, field, message):
    client.force_login(entry.driver)

    response = post(client, entry, **data)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}-error"' in page or f'id="{field}-error"' in page
    assert message in page
    assert not DeclarationSignature.objects.exists()


def test_a_payload_over_the_request_limit_is_a_message_not_an_error(client, entry, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client.force_login(entry.driver)

    response = post(client, entry, **{"driver-name": "Dana", "driver-signature": "A" * 20_000})

    assert response.status_code == 302
    assert not DeclarationSignature.objects.exists()


def test_signing_by_drawing_and_the_status_in_my_entries(client, entry):
    client.force_login(entry.driver)

    response = post(client, entry, **{"driver-name": "Dana Driver", "driver-signature": data_url()})

    assert response.status_code == 302
    signature = DeclarationSignature.objects.get()
    assert (signature.method, signature.role, signature.language) == ("drawn", "driver", "en")
    mine = client.get(reverse("events:my_entries")).content.decode()
    assert "Declaration signed (v1)" in mine
    assert reverse("events:declaration_pdf", args=[signature.pk]) in mine
    published(entry.session.event, suffix=" Helmets on.")
    assert "Please sign again (v2)" in client.get(reverse("events:my_entries")).content.decode()


def test_a_new_version_published_while_reading_is_read_first(client, entry):
    client.force_login(entry.driver)
    version = entry.session.event.declaration.current.pk
    published(entry.session.event, suffix=" Helmets on.")

    response = client.post(
        page_url(entry),
        {"role": "driver", "driver-version": version, "driver-name": "Dana", "driver-typed": "on"},
        follow=True,
    )

    assert "A new version (v2) was published while you were reading" in response.content.decode()
    assert not DeclarationSignature.objects.exists()


def test_the_pdf_is_for_the_driver_and_the_organisers_only(client, entry, organiser, storage_backend):
    signature = sign(entry, entry.session.event.declaration.current)
    url = reverse("events:declaration_pdf", args=[signature.pk])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(entry.driver)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = entry.session.event
    assert response["Content-Disposition"] == f'attachment; filename="declaration-{event.slug}-v1-driver.pdf"'
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    client.force_login(organiser)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # read to the end: the file is closed


def test_another_persons_declaration_page_is_not_found(client, entry):
    client.force_login(UserFactory())
    assert client.get(page_url(entry)).status_code == 404


def test_the_gate_shows_the_declaration_and_takes_a_signature_on_the_organisers_phone(
    organiser_client, entry, organiser
):
    event = entry.session.event
    passenger_name(entry=entry, name="Pia Passenger", by=entry.driver)
    result = organiser_client.get(
        reverse("events:check_in", args=[event.slug]) + f"?entry={entry.pk}"
    ).content.decode()
    assert "Declaration NOT signed" in result and "Passenger Pia Passenger: declaration NOT signed" in result
    gate_page = reverse("events:declaration_gate", args=[event.slug, entry.pk])
    assert gate_page in result

    version = event.declaration.current.pk
    organiser_client.post(
        gate_page, {"role": "driver", "driver-version": version, "driver-name": "Dana", "driver-typed": "on"}
    )
    organiser_client.post(
        gate_page,
        {"role": "passenger", "passenger-version": version, "passenger-name": "Pia P", "passenger-typed": "on"},
    )

    result = organiser_client.get(
        reverse("events:check_in", args=[event.slug]) + f"?entry={entry.pk}"
    ).content.decode()
    assert "Declaration signed v1" in result and "Passenger Pia Passenger: declaration signed v1" in result
    assert set(DeclarationSignature.objects.values_list("collected_by", flat=True)) == {organiser.pk}


def test_the_gate_page_is_for_organisers(client, entry):
    client.force_login(entry.driver)
    assert client.get(reverse("events:declaration_gate", args=[entry.session.event.slug, entry.pk])).status_code == 403


def test_the_gate_list_says_where_the_declaration_stands(organiser_client, entry, django_assert_max_num_queries):
    passenger_name(entry=entry, name="Pia Passenger", by=entry.driver)
    sign(entry, entry.session.event.declaration.current)
    url = reverse("events:check_in_list", args=[entry.session.event.slug])

    with django_assert_max_num_queries(15):  # the list's 10 (test_gate_list) and the declarations' 5
        data = organiser_client.get(url).json()

    assert data["entries"][0]["declaration"] == {
        "version": 1,
        "driver_signed": True,
        "passenger": "Pia Passenger",
        "passenger_signed": False,
    }


@pytest.mark.parametrize("count", [2, 6])
def test_my_entries_costs_the_same_queries_for_few_and_many_declarations(
    client, owner, count, django_assert_num_queries
):
    # Entries of several events needing a declaration, half signed, each with a passenger: a constant number of
    # queries (events.declaration_status.declaration_states), whatever their number.
    for n in range(count):
        session = SessionFactory(declaration_required=True)
        version = published(session.event)
        entry = EntryFactory(session=session, car=VerifiedCarFactory(owner=owner), driver=owner)
        passenger_name(entry=entry, name=f"Pat Passenger {n}", by=owner)
        if n % 2:
            sign(entry, version)
    client.force_login(owner)

    # session, user, entries; the declarations' versions, drivers' signatures, passengers, passengers' signatures
    with django_assert_num_queries(7):
        response = client.get(reverse("events:my_entries"))

    assert response.status_code == 200
    assert response.content.decode().count("Please sign the declaration") == count - count // 2
