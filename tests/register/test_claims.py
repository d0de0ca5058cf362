from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from events.models import Entry
from events.services import EntryError, entry_create
from register.models import Car, Claim, Ownership
from register.services import car_register, claim_approve, claim_create
from tests.factories import EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory, colour, make_vin

pytestmark = pytest.mark.django_db


def document() -> SimpleUploadedFile:
    """A photo of the registration document (any real JPEG will do)."""
    buf = BytesIO()
    Image.new("RGB", (120, 80), (240, 240, 230)).save(buf, format="JPEG")
    return SimpleUploadedFile("papers.jpg", buf.getvalue(), content_type="image/jpeg")


def claim_post(client, vin: str, message: str = "", **kwargs):
    return client.post("/garage/claim/", {"vin": vin, "message": message, "evidence": document()}, **kwargs)


@pytest.fixture
def registered_car(owner):
    return car_register(owner=owner, vin=make_vin(701), colour=colour(), market="DE", nickname="First owner's")


def test_duplicate_vin_shows_error_and_claim_link(client, other_owner, registered_car):
    client.force_login(other_owner)

    response = client.post(
        "/garage/cars/add/", {"vin": registered_car.vin.lower(), "colour": colour().pk, "market": "DE"}
    )

    html = response.content.decode()
    assert response.context["form"].errors["vin"] == ["This car is already registered."]
    assert f'href="/garage/claim/?vin={registered_car.vin}"' in html
    assert "Claim this car" in html
    assert Car.objects.count() == 1


def test_same_vin_in_arabic_indic_digits_is_not_a_second_car(client, other_owner, registered_car):
    client.force_login(other_owner)
    vin = registered_car.vin[:11] + "".join(chr(0x660 + int(ch)) for ch in registered_car.vin[11:])

    response = client.post("/garage/cars/add/", {"vin": vin, "colour": colour().pk, "market": "DE"})

    assert response.status_code == 200
    assert (
        "Position 12: “\u0660” is not allowed; use digits and capital letters."
        in response.context["form"].errors["vin"]
    )
    assert Car.objects.count() == 1


def test_claim_page_prefills_vin_from_query(client, other_owner, registered_car):
    client.force_login(other_owner)

    response = client.get(f"/garage/claim/?vin={registered_car.vin}")

    assert response.status_code == 200
    assert f'value="{registered_car.vin}"' in response.content.decode()


def test_claim_then_approve_moves_car_to_claimant_and_emails_both(
    client, owner, other_owner, registered_car, deliver_mail
):
    registrar = UserFactory(email="registrar@example.org", is_staff=True)
    client.force_login(other_owner)

    response = claim_post(client, registered_car.vin, "Bought it in May.", follow=True)
    claim = Claim.objects.get()
    garage_html = response.content.decode()
    received = [(m.to, m.subject) for m in deliver_mail()]
    mail.outbox.clear()

    claim_approve(claim=claim, by=registrar)
    deliver_mail()

    registered_car.refresh_from_db()
    assert response.redirect_chain == [("/garage/", 302)]
    assert claim.claimant == other_owner
    assert claim.message == "Bought it in May."
    assert "My pending claims" in garage_html
    assert registered_car.vin_masked in garage_html
    assert received[0][0] == ["other@example.org"]
    assert registered_car.owner == other_owner
    history = list(Ownership.objects.filter(car=registered_car).order_by("started"))
    assert [h.owner for h in history] == [owner, other_owner]
    assert history[0].ended is not None
    assert history[1].ended is None
    assert sorted(address for m in mail.outbox for address in m.to) == ["other@example.org", "owner@example.org"]
    garage = client.get("/garage/")
    assert list(garage.context["cars"]) == [registered_car]
    assert list(garage.context["claims"]) == []


def test_claim_twice_shows_error_and_keeps_one_claim(client, other_owner, registered_car):
    client.force_login(other_owner)
    claim_post(client, registered_car.vin)

    response = claim_post(client, registered_car.vin, "again")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "You have already claimed this car; a registrar will decide soon."
    ]
    assert Claim.objects.count() == 1


def test_claim_own_car_is_refused(owner_client, registered_car):
    response = claim_post(owner_client, registered_car.vin)

    assert response.context["form"].non_field_errors() == ["This car is already in your garage."]
    assert Claim.objects.count() == 0


def test_claim_unknown_vin_is_a_field_error(client, other_owner):
    client.force_login(other_owner)

    response = claim_post(client, make_vin(702))

    assert response.context["form"].errors["vin"] == [
        "No car with this VIN is in the register. You can register it instead."
    ]
    assert Claim.objects.count() == 0


def test_claim_page_does_not_reveal_current_owner(client, other_owner, registered_car):
    client.force_login(other_owner)

    response = client.get(f"/garage/claim/?vin={registered_car.vin}")

    html = response.content.decode()
    assert "owner@example.org" not in html
    assert "Olga Owner" not in html


def test_approved_claim_cancels_the_previous_owners_upcoming_entries_and_tells_both(
    owner, other_owner, registered_car, registrar, deliver_mail, mailoutbox
):
    # Decided: cancel, not hand over (SECURITY.md): the sign-up was the previous owner's own.
    session = SessionFactory(capacity=1, name="Sunday convoy")
    upcoming = entry_create(session=session, car=registered_car, driver=owner)
    third = VerifiedCarFactory()
    waiting = entry_create(session=session, car=third, driver=third.owner)
    past = EntryFactory(
        session=SessionFactory(
            starts_at=timezone.now() - datetime.timedelta(days=30),
            ends_at=timezone.now() - datetime.timedelta(days=30),
        ),
        car=registered_car,
        driver=owner,
    )
    claim = claim_create(car=registered_car, claimant=other_owner)
    deliver_mail()
    mailoutbox.clear()

    claim_approve(claim=claim, by=registrar)
    sent = deliver_mail()

    for entry in (upcoming, waiting, past):
        entry.refresh_from_db()
    assert (upcoming.status, upcoming.driver) == (Entry.Status.CANCELLED, owner)
    assert (waiting.status, waiting.slot) == (Entry.Status.CONFIRMED, 1)  # the freed place went to the waitlist
    assert past.status == Entry.Status.CONFIRMED  # the car's history stays
    to_owner = [m for m in sent if m.to == [owner.email]]
    to_new_owner = [m for m in sent if m.to == [other_owner.email]]
    assert any("Entry cancelled: Sunday convoy" in m.subject for m in to_owner)
    assert len(to_new_owner) == 1
    assert "sign-ups with this car are cancelled" in to_new_owner[0].body
    assert "Sunday convoy" in to_new_owner[0].body
    # The new owner can sign the car up again.
    registered_car.refresh_from_db()
    assert entry_create(session=SessionFactory(), car=registered_car, driver=other_owner).driver == other_owner


def test_sign_up_with_a_car_read_before_its_claim_was_approved_is_refused(owner, other_owner):
    # The sign-up form read the car as the owner's; the approval moved it before the service ran.
    car = VerifiedCarFactory(owner=owner)
    read_by_the_form = Car.objects.get(pk=car.pk)
    claim_approve(claim=Claim.objects.create(car=car, claimant=other_owner))
    session = SessionFactory()

    with pytest.raises(EntryError, match="You can only sign up your own car."):
        entry_create(session=session, car=read_by_the_form, driver=owner)

    assert not Entry.objects.filter(session=session).exists()
