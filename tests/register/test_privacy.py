"""Public pages never show an email, a full VIN or the name of an owner who did not consent."""

from __future__ import annotations

import pytest

from register.services import user_delete
from tests.factories import CarFactory, EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def register_with_owners():
    consenting = UserFactory(email="cora@example.org", display_name="Cora Consent", show_name_publicly=True)
    private = UserFactory(email="nina@example.org", display_name="Nina Private", show_name_publicly=False)
    nameless = UserFactory(email="nobody@example.com", display_name="", show_name_publicly=True)
    cars = [
        VerifiedCarFactory(owner=consenting, register_number=1, nickname="Cora's car"),
        VerifiedCarFactory(owner=private, register_number=2, nickname="Nina's car"),
        VerifiedCarFactory(owner=nameless, register_number=3),
        VerifiedCarFactory(owner=UserFactory(email="gone@example.org", display_name="Gone Owner"), register_number=4),
    ]
    pending = CarFactory(owner=UserFactory(email="pending@example.org", display_name="Pat Pending"))
    user_delete(user=cars[3].owner)
    session = SessionFactory(event__roster_published=True)
    EntryFactory(session=session, car=cars[1])
    return {"cars": cars, "pending": pending}


def public_pages(client) -> dict[str, str]:
    paths = ["/", "/register/", "/register/stats/"] + [f"/register/cars/{n}/" for n in (1, 2, 3, 4)]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    return pages


def test_public_pages_never_show_emails(client, register_with_owners):
    pages = public_pages(client)

    assert [path for path, html in pages.items() if "@example." in html] == []


def test_public_pages_never_show_a_full_vin(client, register_with_owners):
    vins = [car.vin for car in register_with_owners["cars"]] + [register_with_owners["pending"].vin]

    pages = public_pages(client)

    assert [(path, vin) for path, html in pages.items() for vin in vins if vin in html] == []
    assert register_with_owners["cars"][0].vin_masked in pages["/register/"]


def test_public_pages_hide_names_without_consent(client, register_with_owners):
    pages = public_pages(client)

    for hidden in ("Nina Private", "Gone Owner", "Pat Pending"):
        assert [path for path, html in pages.items() if hidden in html] == [], hidden


def test_consenting_owner_name_shown_others_say_registered_owner(client, register_with_owners):
    pages = public_pages(client)

    assert "Cora Consent" in pages["/register/"]
    assert "Cora Consent" in pages["/register/cars/1/"]
    for number in (2, 3, 4):
        assert "Registered owner" in pages[f"/register/cars/{number}/"]
    assert pages["/register/"].count("Registered owner") == 3


def test_logged_in_visitor_sees_no_other_owners_private_data(client, register_with_owners, other_owner):
    client.force_login(other_owner)

    pages = public_pages(client)

    leaked = [
        path
        for path, html in pages.items()
        for secret in ("nina@example.org", "Nina Private", register_with_owners["cars"][1].vin)
        if secret in html
    ]
    assert leaked == []
