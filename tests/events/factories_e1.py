"""Helpers for the events service tests (helper E1)."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from register.models import Car, User
from tests.factories import CarFactory, UserFactory


def organiser(**kwargs) -> User:
    """Staff (not superuser) with the permission to change entries, like a member of "Organisers"."""
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="events", codename="change_entry"))
    return User.objects.get(pk=user.pk)  # fresh: no stale permission cache


def owners_with_cars(count: int, **car_fields) -> list[Car]:
    """``count`` cars, each with its own owner. No password hashing: that would dominate the race tests."""
    return [CarFactory(owner=UserFactory(password=None), **car_fields) for _ in range(count)]
