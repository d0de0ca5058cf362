"""Every page anyone but the owner (and staff) can open, swept for the owner's private data."""

from __future__ import annotations

import pytest

from tests.security.expectations import PROJECT, reverse_case


def private_strings(world) -> list[str]:
    owner = world.users["owner"]
    assert owner.show_name_publicly is False  # the owner has not consented
    return [owner.email, owner.display_name, world.car.vin, world.other_car.vin]


@pytest.mark.parametrize("key", sorted(PROJECT))
@pytest.mark.parametrize("role", ["anonymous", "other"])
def test_page_shows_no_email_full_vin_or_hidden_name(world, key, role):
    client = world.client(role)
    secrets = private_strings(world)
    if role == "other":
        # Their own VIN may appear in their own garage; the owner's must not.
        secrets.remove(world.other_car.vin)
    for case in PROJECT[key]:
        path = reverse_case(key, case, world)
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")

        assert [s for s in secrets if s in text] == [], path


def test_sweep_would_see_a_consented_name(world, client):
    # Companion proof: with consent the name does appear on the public car page, so the sweep is not blind.
    owner = world.users["owner"]
    owner.show_name_publicly = True
    owner.save()

    response = client.get(world.car.get_absolute_url())

    assert owner.display_name in response.content.decode()
    assert world.car.vin_masked in response.content.decode()
