from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from events.models import Entry, Session
from events.services import (
    AlreadyCheckedIn,
    EntryError,
    convoy_assign_by_colour,
    convoy_assign_by_signup,
    convoy_renumber,
    convoy_reorder,
    entry_cancel,
    entry_check_in,
    entry_confirm_from_waitlist,
    entry_create,
    entry_move_to_waitlist,
    entry_set_slot,
    roster_publish,
    roster_unpublish,
    session_set_capacity,
    waitlist_promote,
)
from tests.audit import entry_changes, updates
from tests.factories import (
    CarFactory,
    EntryFactory,
    EventFactory,
    SessionFactory,
    UserFactory,
    VerifiedCarFactory,
    colour,
    organiser,
    owners_with_cars,
)

pytestmark = pytest.mark.django_db


T0 = timezone.now() - datetime.timedelta(hours=1)


def signup(session, car, **kwargs) -> Entry:
    return entry_create(session=session, car=car, driver=car.owner, **kwargs)


def entry(session, *, status=Entry.Status.CONFIRMED, slot=None, minutes=0, **kwargs) -> Entry:
    """An entry written directly, signed up ``minutes`` after T0."""
    return EntryFactory(
        session=session, status=status, slot=slot, created=T0 + datetime.timedelta(minutes=minutes), **kwargs
    )


def changes(e: Entry) -> list[tuple[str, str, str]]:
    """The entry's status and slot changes after it was written first (old → new)."""
    return [(c.field, c.old, c.new) for c in entry_changes(e) if c.field in ("status", "slot")]


def slots(session) -> dict[int, int | None]:
    return dict(Entry.objects.filter(session=session).values_list("pk", "slot"))


# --- entry_create -------------------------------------------------------------------------------------------


def test_entry_create_below_capacity_confirms_with_next_slot():
    session = SessionFactory(capacity=3)
    first, second = owners_with_cars(2)

    a = signup(session, first)
    b = signup(session, second)

    assert (a.status, a.slot) == (Entry.Status.CONFIRMED, 1)
    assert (b.status, b.slot) == (Entry.Status.CONFIRMED, 2)
    assert b.driver == second.owner


def test_entry_create_pending_car_may_sign_up():
    session = SessionFactory(capacity=3)
    car = CarFactory()  # pending verification

    created = signup(session, car)

    assert created.status == Entry.Status.CONFIRMED


def test_entry_create_records_status_and_slot_with_driver_and_reason():
    session = SessionFactory(capacity=1)
    car = VerifiedCarFactory()

    created = signup(session, car)

    assert list(
        created.history.values_list("history_type", "status", "slot", "history_user", "history_change_reason")
    ) == [("+", "confirmed", 1, car.owner.pk, "sign-up")]


def test_entry_create_full_session_waitlists_in_signup_order():
    session = SessionFactory(capacity=1)
    first, second, third = owners_with_cars(3)
    signup(session, first)

    b = signup(session, second)
    c = signup(session, third)

    assert (b.status, b.slot, b.waitlist_position) == (Entry.Status.WAITLISTED, None, 1)
    assert (c.status, c.slot, c.waitlist_position) == (Entry.Status.WAITLISTED, None, 2)
    assert list(c.history.values_list("history_type", "status", "slot")) == [("+", "waitlisted", None)]


def test_entry_create_capacity_zero_waitlists():
    session = SessionFactory(capacity=0)

    created = signup(session, VerifiedCarFactory())

    assert (created.status, created.slot) == (Entry.Status.WAITLISTED, None)


def test_entry_create_after_gap_takes_max_plus_one():
    session = SessionFactory(capacity=5)
    entry(session, slot=1)
    entry(session, slot=4)

    created = signup(session, VerifiedCarFactory())

    assert created.slot == 5


@pytest.mark.parametrize(
    ("now_offset", "message"),
    [
        (datetime.timedelta(seconds=-1), "Registration for this event opens on"),
        (datetime.timedelta(days=10), "Registration for this event has closed."),
    ],
    ids=["before-opens", "after-closes"],
)
def test_entry_create_outside_registration_window_refused(now_offset, message):
    opens = timezone.now() - datetime.timedelta(days=1)
    event = EventFactory(registration_opens=opens, registration_closes=opens + datetime.timedelta(days=5))
    session = SessionFactory(event=event)
    now = opens + now_offset if now_offset < datetime.timedelta(0) else event.registration_closes + now_offset

    with pytest.raises(EntryError) as raised:
        signup(session, VerifiedCarFactory(), now=now)

    assert str(raised.value).startswith(message)
    assert Entry.objects.count() == 0


def test_entry_create_at_closing_time_refused():
    event = EventFactory()
    session = SessionFactory(event=event)

    with pytest.raises(EntryError, match="has closed"):
        signup(session, VerifiedCarFactory(), now=event.registration_closes)


def test_entry_create_at_opening_time_accepted():
    event = EventFactory()
    session = SessionFactory(event=event)

    created = signup(session, VerifiedCarFactory(), now=event.registration_opens)

    assert created.status == Entry.Status.CONFIRMED


def test_entry_create_someone_elses_car_refused():
    session = SessionFactory()
    car = VerifiedCarFactory()

    with pytest.raises(EntryError, match="You can only sign up your own car."):
        entry_create(session=session, car=car, driver=UserFactory())

    assert Entry.objects.count() == 0


def test_entry_create_car_without_owner_refused():
    session = SessionFactory()
    car = VerifiedCarFactory(owner=None)

    with pytest.raises(EntryError, match="You can only sign up your own car."):
        entry_create(session=session, car=car, driver=UserFactory())


@pytest.mark.parametrize("status", [Entry.Status.CONFIRMED, Entry.Status.WAITLISTED])
def test_entry_create_car_already_entered_refused(status):
    session = SessionFactory()
    car = VerifiedCarFactory()
    entry(session, car=car, status=status, slot=1 if status == Entry.Status.CONFIRMED else None)

    with pytest.raises(EntryError, match="This car is already signed up for this session."):
        signup(session, car)

    assert Entry.objects.filter(session=session).count() == 1


def test_entry_create_after_cancelled_entry_allowed():
    session = SessionFactory()
    car = VerifiedCarFactory()
    entry(session, car=car, status=Entry.Status.CANCELLED)

    created = signup(session, car)

    assert created.status == Entry.Status.CONFIRMED


def test_entry_create_driver_already_entered_with_another_car_refused():
    session = SessionFactory()
    driver = UserFactory(password=None)
    first = VerifiedCarFactory(owner=driver)
    second = VerifiedCarFactory(owner=driver)
    signup(session, first)

    with pytest.raises(EntryError, match="You already have a car signed up for this session."):
        signup(session, second)

    assert list(Entry.objects.filter(session=session).values_list("car", flat=True)) == [first.pk]


def test_entry_create_same_car_other_session_allowed():
    event = EventFactory()
    saturday, sunday = SessionFactory(event=event), SessionFactory(event=event)
    car = VerifiedCarFactory()
    signup(saturday, car)

    created = signup(sunday, car)

    assert (created.session, created.status) == (sunday, Entry.Status.CONFIRMED)


def test_entry_create_requirements_not_confirmed_refused():
    session = SessionFactory(requirements="Helmet and a valid driving licence.")

    with pytest.raises(EntryError, match="Please confirm that you meet the requirements"):
        signup(session, VerifiedCarFactory())

    assert Entry.objects.count() == 0


def test_entry_create_requirements_confirmed_accepted():
    session = SessionFactory(requirements="Helmet and a valid driving licence.")

    created = signup(session, VerifiedCarFactory(), requirements_confirmed=True)

    assert (created.status, created.requirements_confirmed) == (Entry.Status.CONFIRMED, True)


def test_entry_create_without_requirements_needs_no_confirmation():
    session = SessionFactory(requirements="  ")

    created = signup(session, VerifiedCarFactory())

    assert created.status == Entry.Status.CONFIRMED


# --- entry_cancel -------------------------------------------------------------------------------------------


def test_entry_cancel_by_driver_keeps_entry_and_frees_slot():
    session = SessionFactory(capacity=2)
    mine = signup(session, VerifiedCarFactory())

    cancelled = entry_cancel(entry=mine, by=mine.driver)

    mine.refresh_from_db()
    assert (mine.status, mine.slot) == (Entry.Status.CANCELLED, None)
    assert mine.cancelled_at is not None
    assert cancelled.status == Entry.Status.CANCELLED
    assert changes(mine) == [("status", "confirmed", "cancelled"), ("slot", "1", "")]


def test_entry_cancel_promotes_exactly_one_with_next_slot():
    session = SessionFactory(capacity=2)
    a, b, c, d = (signup(session, car) for car in owners_with_cars(4))

    entry_cancel(entry=a, by=a.driver)

    assert list(Entry.objects.confirmed().filter(session=session).in_slot_order()) == [b, c]
    c.refresh_from_db()
    d.refresh_from_db()
    assert (c.status, c.slot) == (Entry.Status.CONFIRMED, 3)
    assert (d.status, d.waitlist_position) == (Entry.Status.WAITLISTED, 1)
    assert changes(c) == [("status", "waitlisted", "confirmed"), ("slot", "", "3")]
    assert c.history.latest().history_change_reason == "promoted from the waitlist after a cancellation"


def test_entry_cancel_waitlisted_promotes_nobody():
    session = SessionFactory(capacity=1)
    a, b, c = (signup(session, car) for car in owners_with_cars(3))

    entry_cancel(entry=b, by=b.driver)

    c.refresh_from_db()
    assert (c.status, c.waitlist_position) == (Entry.Status.WAITLISTED, 1)
    assert list(Entry.objects.confirmed().filter(session=session)) == [a]


def test_entry_cancel_twice_refused():
    session = SessionFactory()
    mine = signup(session, VerifiedCarFactory())
    entry_cancel(entry=mine, by=mine.driver)

    with pytest.raises(EntryError, match="This entry is already cancelled."):
        entry_cancel(entry=mine, by=mine.driver)

    assert changes(mine).count(("status", "confirmed", "cancelled")) == 1


@pytest.mark.parametrize("who", ["driver", "organiser"])
def test_entry_cancel_of_a_session_that_is_over_refused_and_nobody_promoted(who):
    # Entry.objects.not_over(): what a person may still cancel or be cancelled from. An entry of a session
    # that has ended is the car's history; cancelling it would also "promote" a waiting car into the past.
    ended = timezone.now() - datetime.timedelta(hours=1)
    session = SessionFactory(capacity=1, starts_at=ended - datetime.timedelta(hours=2), ends_at=ended)
    mine = entry(session, slot=1)
    waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=5)
    by = {"driver": mine.driver, "organiser": organiser()}[who]

    with pytest.raises(EntryError, match="This session is over: its entries can no longer be cancelled."):
        entry_cancel(entry=mine, by=by)

    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert (mine.status, mine.slot, waiting.status) == (Entry.Status.CONFIRMED, 1, Entry.Status.WAITLISTED)


@pytest.mark.parametrize("who", ["stranger", "staff-without-permission", "anonymous"])
def test_entry_cancel_by_someone_else_refused(who):
    session = SessionFactory()
    mine = signup(session, VerifiedCarFactory())
    by = {"stranger": UserFactory(), "staff-without-permission": UserFactory(is_staff=True), "anonymous": None}[who]

    with pytest.raises(EntryError, match="You can only cancel your own entries."):
        entry_cancel(entry=mine, by=by)

    mine.refresh_from_db()
    assert mine.status == Entry.Status.CONFIRMED


def test_entry_cancel_by_organiser_allowed():
    session = SessionFactory()
    mine = signup(session, VerifiedCarFactory())
    staff = organiser()

    entry_cancel(entry=mine, by=staff)

    mine.refresh_from_db()
    assert mine.status == Entry.Status.CANCELLED
    assert [(c.by, c.reason) for c in entry_changes(mine) if c.field == "status"] == [
        (staff.pk, "cancelled by an organiser")
    ]


def test_entry_cancel_by_new_car_owner_allowed():
    session = SessionFactory()
    car = VerifiedCarFactory()
    mine = signup(session, car)
    car.owner = UserFactory()
    car.save()

    entry_cancel(entry=Entry.objects.get(pk=mine.pk), by=car.owner)

    mine.refresh_from_db()
    assert mine.status == Entry.Status.CANCELLED


# --- waitlist_promote and session_set_capacity ----------------------------------------------------------------


def test_waitlist_promote_fills_free_places_in_order():
    session = SessionFactory(capacity=1)
    a, b, c, d = (signup(session, car) for car in owners_with_cars(4))
    Session.objects.filter(pk=session.pk).update(capacity=3)  # e.g. changed outside the service

    promoted = waitlist_promote(session=session)

    assert promoted == [b, c]
    assert slots(session) == {a.pk: 1, b.pk: 2, c.pk: 3, d.pk: None}


def test_waitlist_promote_without_free_place_does_nothing():
    session = SessionFactory(capacity=1)
    signup(session, VerifiedCarFactory())
    waiting = signup(session, VerifiedCarFactory())

    assert waitlist_promote(session=session) == []
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.WAITLISTED


def test_session_set_capacity_raise_promotes_from_waitlist():
    session = SessionFactory(capacity=1)
    a, b, c, d = (signup(session, car) for car in owners_with_cars(4))
    staff = organiser()

    session_set_capacity(session=session, capacity=3, by=staff)

    session.refresh_from_db()
    assert session.capacity == 3
    assert slots(session) == {a.pk: 1, b.pk: 2, c.pk: 3, d.pk: None}
    assert b.history.latest().history_user == staff
    assert b.history.latest().history_change_reason == "promoted: capacity raised"


def test_session_set_capacity_below_confirmed_refused():
    session = SessionFactory(capacity=3)
    for car in owners_with_cars(2):
        signup(session, car)

    with pytest.raises(EntryError) as raised:
        session_set_capacity(session=session, capacity=1)

    assert str(raised.value) == "2 cars are confirmed; cancel or move entries to the waitlist first."
    session.refresh_from_db()
    assert session.capacity == 3


def test_session_set_capacity_below_one_confirmed_uses_singular():
    session = SessionFactory(capacity=3)
    signup(session, VerifiedCarFactory())

    with pytest.raises(EntryError) as raised:
        session_set_capacity(session=session, capacity=0)

    assert str(raised.value) == "1 car is confirmed; cancel or move entries to the waitlist first."


def test_session_set_capacity_down_to_confirmed_count_allowed():
    session = SessionFactory(capacity=5)
    for car in owners_with_cars(2):
        signup(session, car)

    session_set_capacity(session=session, capacity=2)

    session.refresh_from_db()
    assert session.capacity == 2


def test_session_set_capacity_negative_refused():
    session = SessionFactory(capacity=5)

    with pytest.raises(EntryError, match="The capacity cannot be negative."):
        session_set_capacity(session=session, capacity=-1)


# --- organiser actions on one entry ---------------------------------------------------------------------------


def test_entry_confirm_from_waitlist_with_free_place_takes_next_slot():
    session = SessionFactory(capacity=3)
    entry(session, slot=1)
    first_waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=1)
    second_waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=2)
    staff = organiser()

    entry_confirm_from_waitlist(entry=second_waiting, by=staff)

    second_waiting.refresh_from_db()
    first_waiting.refresh_from_db()
    assert (second_waiting.status, second_waiting.slot) == (Entry.Status.CONFIRMED, 2)
    assert first_waiting.waitlist_position == 1
    assert changes(second_waiting) == [("status", "waitlisted", "confirmed"), ("slot", "", "2")]


def test_entry_confirm_from_waitlist_when_full_refused():
    session = SessionFactory(capacity=1)
    entry(session, slot=1)
    waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=1)

    with pytest.raises(EntryError, match="No place is free in this session"):
        entry_confirm_from_waitlist(entry=waiting, by=organiser())

    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.WAITLISTED
    assert changes(waiting) == []


def test_entry_confirm_from_waitlist_of_confirmed_entry_refused():
    session = SessionFactory(capacity=3)
    confirmed = entry(session, slot=1)

    with pytest.raises(EntryError, match="Only a waitlisted entry"):
        entry_confirm_from_waitlist(entry=confirmed, by=organiser())


def test_entry_move_to_waitlist_frees_slot_and_keeps_signup_place():
    session = SessionFactory(capacity=2)
    early = entry(session, slot=1, minutes=0)
    entry(session, slot=2, minutes=1)
    late_waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=5)

    entry_move_to_waitlist(entry=early, by=organiser())

    early.refresh_from_db()
    late_waiting.refresh_from_db()
    assert (early.status, early.slot, early.waitlist_position) == (Entry.Status.WAITLISTED, None, 1)
    assert late_waiting.waitlist_position == 2
    # The freed place is not filled automatically.
    assert Entry.objects.confirmed().filter(session=session).count() == 1
    assert changes(early) == [("status", "confirmed", "waitlisted"), ("slot", "1", "")]


def test_a_new_sign_up_does_not_take_a_free_place_from_cars_already_waiting():
    # The place moving a car to the waitlist frees is the organiser's to fill (or waitlist_promote's, in
    # sign-up order); a car signing up later joins the end of the waitlist, behind the cars waiting.
    session = SessionFactory(capacity=1)
    first = entry(session, slot=1, minutes=0)
    waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=5)
    entry_move_to_waitlist(entry=first, by=organiser())

    late = signup(session, VerifiedCarFactory())

    assert (late.status, late.slot, late.waitlist_position) == (Entry.Status.WAITLISTED, None, 3)
    assert Entry.objects.confirmed().filter(session=session).count() == 0
    assert [e.pk for e in waitlist_promote(session=session)] == [first.pk]
    waiting.refresh_from_db()
    assert waiting.waitlist_position == 1


def test_entry_move_to_waitlist_of_waitlisted_entry_refused():
    session = SessionFactory(capacity=1)
    waiting = entry(session, status=Entry.Status.WAITLISTED)

    with pytest.raises(EntryError, match="Only a confirmed entry can be moved"):
        entry_move_to_waitlist(entry=waiting, by=organiser())


def test_entry_check_in_sets_time_once():
    session = SessionFactory()
    confirmed = entry(session, slot=1)
    staff = organiser()

    entry_check_in(entry=confirmed, by=staff)

    confirmed.refresh_from_db()
    assert confirmed.checked_in_at is not None
    assert confirmed.checked_in_by == staff
    assert [(c.field, c.old, c.by, c.reason) for c in entry_changes(confirmed)] == [
        ("checked_in_at", "", staff.pk, "checked in"),
        ("checked_in_by", "", staff.pk, "checked in"),
    ]
    first = timezone.localtime(confirmed.checked_in_at).strftime("%H:%M")
    with pytest.raises(AlreadyCheckedIn, match=f"^Already checked in at {first} by {staff.display_name}\\.$"):
        entry_check_in(entry=confirmed, by=organiser(email="second@example.org"))


def test_entry_check_in_of_waitlisted_entry_refused():
    session = SessionFactory(capacity=0)
    waiting = entry(session, status=Entry.Status.WAITLISTED)

    with pytest.raises(EntryError, match="This car is on the waitlist: it has no place"):
        entry_check_in(entry=waiting, by=organiser())

    waiting.refresh_from_db()
    assert waiting.checked_in_at is None


def test_entry_set_slot_to_free_number_moves_one_car():
    session = SessionFactory()
    a = entry(session, slot=1)
    b = entry(session, slot=2)

    entry_set_slot(entry=a, slot=7, by=organiser())

    assert slots(session) == {a.pk: 7, b.pk: 2}
    assert changes(a) == [("slot", "1", "7")]


def test_entry_set_slot_to_taken_number_swaps():
    session = SessionFactory()
    a = entry(session, slot=1)
    b = entry(session, slot=2)
    c = entry(session, slot=3)

    entry_set_slot(entry=c, slot=1, by=organiser())

    assert slots(session) == {a.pk: 3, b.pk: 2, c.pk: 1}
    assert changes(c) == [("slot", "3", "1")]
    assert changes(a) == [("slot", "1", "3")]


@pytest.mark.parametrize("slot", [0, -3, "x", None])
def test_entry_set_slot_invalid_number_refused(slot):
    session = SessionFactory()
    a = entry(session, slot=1)

    with pytest.raises(EntryError, match="A slot number is a whole number from 1."):
        entry_set_slot(entry=a, slot=slot, by=organiser())

    assert slots(session) == {a.pk: 1}


def test_entry_set_slot_of_waitlisted_entry_refused():
    session = SessionFactory()
    waiting = entry(session, status=Entry.Status.WAITLISTED)

    with pytest.raises(EntryError, match="Only a confirmed entry has a slot."):
        entry_set_slot(entry=waiting, slot=1, by=organiser())


# --- convoy ---------------------------------------------------------------------------------------------------


def test_convoy_assign_by_signup_numbers_in_signup_order():
    session = SessionFactory()
    c = entry(session, slot=1, minutes=3)
    a = entry(session, slot=9, minutes=1)
    b = entry(session, slot=4, minutes=2)
    waiting = entry(session, status=Entry.Status.WAITLISTED, minutes=0)
    staff = organiser()

    result = convoy_assign_by_signup(session=session, by=staff)

    assert result == [a, b, c]
    assert slots(session) == {a.pk: 1, b.pk: 2, c.pk: 3, waiting.pk: None}
    assert changes(a) == [("slot", "9", "1")]
    assert [c.reason for c in entry_changes(a)] == ["auto-assign by sign-up"]


def test_convoy_assign_by_colour_largest_group_first_ties_by_colour_order():
    session = SessionFactory()
    white, orange, black = (
        colour("Alpine White"),
        colour("Valencia Orange Metallic"),
        colour("Black Sapphire Metallic"),
    )
    # Sign-up order: black, orange, white, white, black, orange, white.
    cars = [black, orange, white, white, black, orange, white]
    e = [entry(session, slot=n, minutes=n, car=VerifiedCarFactory(colour=c)) for n, c in enumerate(cars, start=1)]

    result = convoy_assign_by_colour(session=session, by=organiser())

    # White (3) first; orange and black have 2 each: orange's sort_order (10) beats black's (30).
    assert result == [e[2], e[3], e[6], e[1], e[5], e[0], e[4]]
    assert list(Entry.objects.filter(session=session).in_slot_order()) == result
    assert [x.slot for x in Entry.objects.filter(session=session).in_slot_order()] == [1, 2, 3, 4, 5, 6, 7]
    assert set(updates(session=session).values_list("history_change_reason", flat=True)) == {"auto-assign by colour"}


def test_convoy_renumber_closes_gaps_keeping_order():
    session = SessionFactory()
    a = entry(session, slot=9, minutes=1)
    b = entry(session, slot=2, minutes=2)
    c = entry(session, slot=5, minutes=3)

    convoy_renumber(session=session, by=organiser())

    assert slots(session) == {b.pk: 1, c.pk: 2, a.pk: 3}
    assert changes(b) == [("slot", "2", "1")]
    assert changes(a) == [("slot", "9", "3")]


def test_convoy_renumber_without_gaps_records_nothing():
    session = SessionFactory()
    entry(session, slot=1)
    entry(session, slot=2)

    convoy_renumber(session=session, by=organiser())

    assert not updates().exists()


def test_convoy_reorder_assigns_given_order():
    session = SessionFactory()
    a, b, c = entry(session, slot=1), entry(session, slot=2), entry(session, slot=3)

    convoy_reorder(session=session, entry_ids=[str(c.pk), a.pk, b.pk], seen=[a.pk, b.pk, c.pk], by=organiser())

    assert slots(session) == {c.pk: 1, a.pk: 2, b.pk: 3}
    assert updates(session=session).count() == 3


@pytest.mark.parametrize("case", ["missing", "duplicate", "foreign", "waitlisted", "garbage"])
def test_convoy_reorder_with_wrong_ids_refused(case):
    session = SessionFactory()
    a, b = entry(session, slot=1), entry(session, slot=2)
    waiting = entry(session, status=Entry.Status.WAITLISTED)
    other = EntryFactory(slot=1)
    ids = {
        "missing": [b.pk],
        "duplicate": [b.pk, a.pk, b.pk],
        "foreign": [b.pk, a.pk, other.pk],
        "waitlisted": [b.pk, a.pk, waiting.pk],
        "garbage": [b.pk, "a"],
    }[case]

    with pytest.raises(EntryError, match="every confirmed car of this session exactly once"):
        convoy_reorder(session=session, entry_ids=ids, seen=[a.pk, b.pk], by=organiser())

    assert slots(session) == {a.pk: 1, b.pk: 2, waiting.pk: None}


def test_convoy_reorder_against_a_changed_order_refused_saying_what_changed():
    session = SessionFactory(capacity=10)
    a, b, c, d = (
        entry(session, slot=n, car=VerifiedCarFactory(register_number=n, nickname=name))
        for n, name in enumerate(["Ember", "Frost", "Blaze", "Shadow"], start=1)
    )
    seen = [a.pk, b.pk, c.pk, d.pk]
    # Since the page was loaded: Frost cancelled, Shadow moved to the front, Pearl signed up.
    entry_cancel(entry=b, by=b.driver)
    convoy_reorder(session=session, entry_ids=[d.pk, a.pk, c.pk], seen=[a.pk, c.pk, d.pk], by=None)
    pearl = signup(session, VerifiedCarFactory(register_number=9, nickname="Pearl"))
    before = slots(session)

    with pytest.raises(EntryError) as refused:
        convoy_reorder(session=session, entry_ids=[c.pk, a.pk, d.pk, pearl.pk], seen=seen, by=organiser())

    assert str(refused.value) == (
        "Someone changed this convoy's order after you opened the page, so your order was not saved. "
        "Since then: #9 Pearl joined the convoy at place 4; #4 Shadow moved to place 1 (was 4); "
        "#2 Frost left the convoy. Below is the current order: make your moves again and save."
    )
    assert slots(session) == before


def test_convoy_reorder_after_a_regrouping_names_the_first_changes_and_counts_the_rest():
    session = SessionFactory(capacity=20)
    entries = [entry(session, slot=n, car=VerifiedCarFactory(register_number=n)) for n in range(1, 13)]
    seen = [e.pk for e in entries]
    convoy_reorder(session=session, entry_ids=list(reversed(seen)), seen=seen, by=None)

    with pytest.raises(EntryError) as refused:
        convoy_reorder(session=session, entry_ids=seen, seen=seen, by=None)

    # Reversed: every car but one moved; eight are named.
    message = str(refused.value)
    assert message.count(" moved to place ") == 8
    assert "; 3 more changes. Below is the current order" in message


# --- roster ---------------------------------------------------------------------------------------------------


def test_roster_publish_sets_flag_and_time_once():
    event = EventFactory()

    roster_publish(event=event)
    event.refresh_from_db()
    first = event.roster_published_at
    roster_publish(event=event)
    event.refresh_from_db()

    assert event.roster_published is True
    assert first is not None
    assert event.roster_published_at == first


def test_roster_unpublish_clears_flag_and_time():
    event = EventFactory(roster_published=True, roster_published_at=timezone.now())

    roster_unpublish(event=event)

    event.refresh_from_db()
    assert (event.roster_published, event.roster_published_at) == (False, None)
