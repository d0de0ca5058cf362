"""The database keeps the roster's invariants even when the services are bypassed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from events.models import Entry, Session
from tests.factories import SessionFactory, UserFactory, VerifiedCarFactory


def constraint_of(error: IntegrityError) -> str:
    return error.__cause__.diag.constraint_name


def create(session, car, *, status=Entry.Status.CONFIRMED, slot=None, driver=None) -> Entry:
    return Entry.objects.create(session=session, car=car, driver=driver or car.owner, status=status, slot=slot)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Entry.Status.CONFIRMED, Entry.Status.WAITLISTED])
def test_second_active_entry_for_same_car_raises(status):
    session = SessionFactory()
    car = VerifiedCarFactory()
    create(session, car, slot=1)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        create(session, car, status=status, driver=UserFactory())

    assert constraint_of(raised.value) == "entry_one_active_per_car_per_session"


@pytest.mark.django_db
def test_second_active_entry_for_same_driver_raises():
    session = SessionFactory()
    first = VerifiedCarFactory()
    create(session, first, slot=1)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        create(session, VerifiedCarFactory(), status=Entry.Status.WAITLISTED, driver=first.owner)

    assert constraint_of(raised.value) == "entry_one_active_per_driver_per_session"


@pytest.mark.django_db
def test_cancelled_entries_do_not_block_a_new_one():
    session = SessionFactory()
    car = VerifiedCarFactory()
    create(session, car, status=Entry.Status.CANCELLED)
    create(session, car, status=Entry.Status.CANCELLED)

    again = create(session, car, slot=1)

    assert Entry.objects.filter(session=session, car=car).count() == 3
    assert again.status == Entry.Status.CONFIRMED


@pytest.mark.django_db
def test_same_slot_twice_raises_when_constraints_are_checked():
    session = SessionFactory()
    create(session, VerifiedCarFactory(), slot=3)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        create(session, VerifiedCarFactory(), slot=3)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert constraint_of(raised.value) == "entry_slot_unique_per_session"


@pytest.mark.django_db
def test_same_slot_in_another_session_allowed():
    create(SessionFactory(), VerifiedCarFactory(), slot=1)

    other = create(SessionFactory(), VerifiedCarFactory(), slot=1)

    assert other.slot == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_same_slot_twice_raises_at_commit_but_a_swap_commits():
    session = SessionFactory()
    a = create(session, VerifiedCarFactory(), slot=1)
    b = create(session, VerifiedCarFactory(), slot=2)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Entry.objects.filter(pk=b.pk).update(slot=1)  # accepted here: the check waits for the commit
    with transaction.atomic():
        Entry.objects.filter(pk=a.pk).update(slot=2)
        Entry.objects.filter(pk=b.pk).update(slot=1)

    assert constraint_of(raised.value) == "entry_slot_unique_per_session"
    assert dict(Entry.objects.values_list("pk", "slot")) == {a.pk: 2, b.pk: 1}


@pytest.mark.django_db
def test_slot_zero_raises():
    session = SessionFactory()

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        create(session, VerifiedCarFactory(), slot=0)

    assert constraint_of(raised.value) == "entry_slot_positive"


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Entry.Status.WAITLISTED, Entry.Status.CANCELLED])
def test_entry_not_confirmed_with_slot_raises(status):
    session = SessionFactory()

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        create(session, VerifiedCarFactory(), status=status, slot=1)

    assert constraint_of(raised.value) == "entry_only_confirmed_have_slots"


@pytest.mark.django_db
def test_negative_capacity_raises():
    session = SessionFactory(capacity=5)

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        Session.objects.filter(pk=session.pk).update(capacity=-1)

    assert constraint_of(raised.value) in {"session_capacity_not_negative", "events_session_capacity_check"}
    session.refresh_from_db()
    assert session.capacity == 5
