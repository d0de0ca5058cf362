from __future__ import annotations

import pytest

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs most of a second per user on this machine; hashing strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.org", display_name="Olga Owner")


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other@example.org", display_name="Otto Other")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
