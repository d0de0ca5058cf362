"""Many drivers at once: the session lock keeps capacity, slots and the waitlist right.

Each thread has its own database connection and transaction (as real requests do) and closes it at the end.
The last test is the companion proof: the same race without the lock breaks the invariant, so the first
tests would notice if the lock went missing.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry, PendingNotice, Session
from events.services import EntryError, entry_cancel, entry_create
from outbox.models import Message
from register.models import Car
from tests.audit import entry_changes
from tests.factories import CarFactory, EntryFactory, EventFactory, SessionFactory, UserFactory, owners_with_cars

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DRIVERS = 40
PLACES = 10
# How long a thread waits for another before the test gives up: long, for a loaded machine; a passing test
# never waits that long.
WAIT = 60


def run_at_once(count: int, work: Callable[[int], object]) -> list:
    """Run ``work(0..count-1)`` in ``count`` threads released together; each result or raised exception."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, so the calls really overlap
            barrier.wait(timeout=WAIT)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - collected and asserted on by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads)
    return results


def while_held_open(first: Callable[[], object], second: Callable[[], object]) -> tuple[object, object, bool]:
    """Run ``first`` in a thread inside a transaction that stays open, then ``second`` in another thread; once
    ``second`` waits for a lock (one that ``first`` holds), or has finished without one, commit ``first``.
    Each result or raised exception, in that order, and whether ``second`` waited for a lock.

    The commit waits for what PostgreSQL says (``pg_stat_activity``), not for a fixed time: on a loaded machine
    ``second`` can take seconds to reach the lock, and committing before it got there ran the two one after
    the other, the race never met."""
    held, release, ready, finished = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    results: list = [None, None]
    second_pid: list[int] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                results[0] = first()
                held.set()
                release.wait(timeout=WAIT)
        except Exception as error:  # noqa: BLE001 - collected and asserted on by the test
            results[0] = error
        finally:
            held.set()
            connection.close()

    def meet() -> None:
        try:
            held.wait(timeout=WAIT)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            ready.set()
            results[1] = second()
        except Exception as error:  # noqa: BLE001 - collected and asserted on by the test
            results[1] = error
        finally:
            ready.set()
            finished.set()
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=meet)]
    for thread in threads:
        thread.start()
    ready.wait(timeout=WAIT)
    waited, deadline = False, time.monotonic() + WAIT
    while second_pid and not finished.is_set() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", second_pid)
            row = cursor.fetchone()
        if row and row[0]:
            waited = True
            break
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not any(thread.is_alive() for thread in threads)
    return results[0], results[1], waited


def sign_up_all_at_once(session, cars) -> list:
    return run_at_once(len(cars), lambda i: entry_create(session=session, car=cars[i], driver=cars[i].owner))


def test_simultaneous_signups_fill_capacity_exactly_and_queue_the_rest():
    session = SessionFactory(capacity=PLACES)
    cars = owners_with_cars(DRIVERS)

    results = sign_up_all_at_once(session, cars)

    assert [r for r in results if not isinstance(r, Entry)] == []
    confirmed = list(Entry.objects.confirmed().filter(session=session))
    waitlisted = list(Entry.objects.waitlisted().filter(session=session))
    assert len(confirmed) == PLACES
    assert sorted(e.slot for e in confirmed) == list(range(1, PLACES + 1))
    assert len(waitlisted) == DRIVERS - PLACES
    assert [e.waitlist_position for e in waitlisted] == list(range(1, DRIVERS - PLACES + 1))
    # The position each driver was told (by email, queued with the entry) was exact at the time: all
    # different, none skipped.
    subjects = list(Message.objects.values_list("subject", flat=True))
    told = sorted(int(re.search(r"Waitlist position (\d+):", s).group(1)) for s in subjects if "Waitlist" in s)
    assert told == list(range(1, DRIVERS - PLACES + 1))
    assert sum("Confirmed:" in s for s in subjects) == PLACES
    assert Entry.history.filter(session=session, history_type="+").count() == DRIVERS


def test_simultaneous_cancellations_promote_each_waitlisted_entry_once():
    session = SessionFactory(capacity=PLACES)
    entries = [entry_create(session=session, car=car, driver=car.owner) for car in owners_with_cars(DRIVERS)]
    confirmed, waiting = entries[:PLACES], entries[PLACES:]
    assert all(e.status == Entry.Status.CONFIRMED for e in confirmed)

    results = run_at_once(PLACES, lambda i: entry_cancel(entry=confirmed[i], by=confirmed[i].driver))

    assert [r for r in results if not isinstance(r, Entry)] == []
    now_confirmed = list(Entry.objects.confirmed().filter(session=session))
    assert sorted(e.pk for e in now_confirmed) == sorted(e.pk for e in waiting[:PLACES])
    assert len({e.slot for e in now_confirmed}) == PLACES
    assert Entry.objects.filter(session=session, status=Entry.Status.CANCELLED).count() == PLACES
    assert [e.pk for e in Entry.objects.waitlisted().filter(session=session)] == [e.pk for e in waiting[PLACES:]]
    promotions = [
        e.pk
        for e in entries
        for c in entry_changes(e)
        if (c.field, c.old, c.new) == ("status", "waitlisted", "confirmed")
    ]
    assert sorted(promotions) == sorted(e.pk for e in waiting[:PLACES])


def test_simultaneous_signups_of_one_car_create_one_entry():
    session = SessionFactory(capacity=PLACES)
    [car] = owners_with_cars(1)

    results = run_at_once(6, lambda i: entry_create(session=session, car=car, driver=car.owner))

    assert sum(isinstance(r, Entry) for r in results) == 1
    refused = [r for r in results if not isinstance(r, Entry)]
    assert {type(r) for r in refused} == {EntryError}
    assert {str(r) for r in refused} == {"This car is already signed up for this session."}
    assert Entry.objects.filter(session=session).count() == 1


def test_simultaneous_signups_of_one_driver_with_two_cars_create_one_entry():
    session = SessionFactory(capacity=PLACES)
    [first] = owners_with_cars(1)
    second = CarFactory(owner=first.owner)
    cars = [first, second]

    results = run_at_once(2, lambda i: entry_create(session=session, car=cars[i], driver=first.owner))

    assert sum(isinstance(r, Entry) for r in results) == 1
    [refused] = [r for r in results if not isinstance(r, Entry)]
    assert (type(refused), str(refused)) == (EntryError, "You already have a car signed up for this session.")
    assert Entry.objects.filter(session=session).count() == 1


def test_the_same_signup_form_posted_twice_at_once_makes_one_entry_and_two_successes():
    # A double click: two posts of one form (one token), from one browser, at the same moment.
    session = SessionFactory(capacity=PLACES, requirements="")
    [car] = owners_with_cars(1)
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(car.owner)
    data = {"car": car.pk, "token": "double-click-token-0123456789"}
    url = reverse("events:signup", args=[session.event.slug, session.slug])

    def post(index: int):
        response = clients[index].post(url, data, follow=True)
        return response.redirect_chain[-1][0], [str(m) for m in response.context["messages"]]

    results = run_at_once(2, post)

    entry = Entry.objects.get(session=session)
    success = (reverse("events:my_entries"), [f"{session.name} at {session.event.name}: confirmed, slot 1."])
    assert results == [success, success]
    assert (entry.car, entry.signup_token) == (car, data["token"])


def test_a_repeat_of_the_signup_form_waiting_for_the_first_to_commit_gets_its_entry():
    """The second post reads no entry yet, waits for the car's lock while the first commits, then meets the
    unique constraints: it answers with the entry the first made."""
    session = SessionFactory(capacity=PLACES)
    [car] = owners_with_cars(1)

    def sign_up():
        return entry_create(session=session, car=car, driver=car.owner, signup_token="double-click-token-0123")

    first, second, waited = while_held_open(sign_up, sign_up)

    assert waited, "the second post never waited for the first: the race was not met"
    assert (type(first), type(second)) == (Entry, Entry), (first, second)
    assert second.pk == first.pk
    assert Entry.objects.filter(session=session).count() == 1


def test_sign_up_while_the_car_changes_owner_leaves_no_entry_of_the_previous_owner():
    """claim_approve cancels the car's entries; a sign-up by the previous owner that read the car before the
    approval committed must not slip in beside it (both lock the car first, then the session)."""
    from register.models import Claim
    from register.services import claim_approve

    [car] = owners_with_cars(1)
    previous_owner, session = car.owner, SessionFactory(capacity=PLACES)
    claim = Claim.objects.create(car=car, claimant=UserFactory())

    _approved, signup, waited = while_held_open(
        lambda: claim_approve(claim=claim),
        lambda: entry_create(session=session, car=Car.objects.get(pk=car.pk), driver=previous_owner),
    )

    assert waited  # the sign-up met the approval's lock: the race was run, not two steps one after the other

    car.refresh_from_db()
    assert car.owner == claim.claimant
    assert list(Entry.objects.active().filter(car=car)) == []
    assert (type(signup), str(signup)) == (EntryError, "You can only sign up your own car.")


def test_a_due_notice_is_sent_while_its_drivers_account_row_is_locked():
    """The notice task takes its notices with SKIP LOCKED; only the notice rows are its to lock. Locking the
    joined driver and event rows too skipped a notice whenever its driver's row was being written (a profile
    saved, a sign-up's key lock) and held sign-ups of that driver while the emails were written."""
    from register.models import User

    event = EventFactory(roster_published=True)
    entry = EntryFactory(session=SessionFactory(event=event), slot=1)
    PendingNotice.objects.create(
        driver=entry.driver, event=event, send_after=timezone.now() - datetime.timedelta(minutes=1)
    )
    locked, done = threading.Event(), threading.Event()

    def hold_the_drivers_row() -> None:
        try:
            with transaction.atomic():
                User.objects.select_for_update().get(pk=entry.driver_id)
                locked.set()
                done.wait(timeout=WAIT)
        finally:
            locked.set()
            connection.close()

    holder = threading.Thread(target=hold_the_drivers_row)
    holder.start()
    locked.wait(timeout=WAIT)
    try:
        sent = services.notices_send_due()
    finally:
        done.set()
        holder.join(timeout=WAIT)

    assert sent == 1
    assert not PendingNotice.objects.exists()


def test_race_without_the_lock_breaks_capacity_or_slots(monkeypatch):
    """Companion proof: the same race, with the session read but not locked, goes wrong. The lock is taken
    out where the sign-up looks it up (``events.services.entries``)."""
    monkeypatch.setattr(services.entries, "_lock_session", lambda session_id: Session.objects.get(pk=session_id))
    broken = []
    for _attempt in range(5):
        session = SessionFactory(capacity=PLACES)
        results = sign_up_all_at_once(session, owners_with_cars(DRIVERS))

        slot_clashes = [
            r
            for r in results
            if isinstance(r, IntegrityError) and r.__cause__.diag.constraint_name == "entry_slot_unique_per_session"
        ]
        over_capacity = Entry.objects.confirmed().filter(session=session).count() - PLACES
        if slot_clashes or over_capacity > 0:
            broken.append((len(slot_clashes), over_capacity))
            break

    assert broken, "40 unlocked sign-ups never broke the invariant: the race test could not catch a missing lock"


def test_cached_roster_never_serves_a_page_older_than_the_last_commit_while_readers_race():
    """Readers keep building and caching the roster while a writer moves slots; after each move is
    committed, the writer's very next request must show it, whatever the readers cached meanwhile."""
    event = EventFactory(roster_published=True)
    session = SessionFactory(event=event, capacity=10)
    cars = [CarFactory(status="verified", register_number=70_000 + i) for i in range(4)]
    for car in cars:
        entry_create(session=session, car=car, driver=car.owner)
    url = reverse("events:roster", args=[event.slug])
    moves, stop = 15, threading.Event()

    def order(html: str) -> list[int]:
        return [int(n) for n in re.findall(r'href="/register/cars/(\d+)/"', html)]

    def work(index: int):
        client = Client()
        if index > 0:  # readers
            served = 0
            while not stop.is_set():
                assert client.get(url).status_code == 200
                served += 1
            return served
        seen = []
        try:
            for _ in range(moves):
                entries = list(Entry.objects.filter(session=session).in_slot_order())
                last = entries[-1]
                services.entry_set_slot(entry=last, slot=1, by=None)  # committed when it returns
                expected = [e.car.register_number for e in Entry.objects.filter(session=session).in_slot_order()]
                seen.append((expected, order(client.get(url).content.decode())))
        finally:
            stop.set()
        return seen

    results = run_at_once(4, work)

    assert not [r for r in results if isinstance(r, Exception)], results
    writer, readers = results[0], results[1:]
    assert len(writer) == moves
    assert all(shown == expected for expected, shown in writer)
    assert len({tuple(expected) for expected, _ in writer}) > 1
    assert all(served > 0 for served in readers)


def test_two_gates_scanning_the_same_ticket_check_it_in_once():
    """Two organisers scan the same car at two gates at the same moment: one checks it in, the other is told
    it already is, and the audit trail has one check-in."""
    session = SessionFactory(capacity=PLACES)
    [car] = owners_with_cars(1)
    entry = entry_create(session=session, car=car, driver=car.owner)
    gates = [CarFactory().owner for _ in range(2)]

    results = run_at_once(2, lambda i: services.entry_check_in(entry=entry, by=gates[i]))

    checked = [r for r in results if isinstance(r, Entry)]
    refused = [r for r in results if isinstance(r, services.AlreadyCheckedIn)]
    assert (len(checked), len(refused)) == (1, 1), results
    entry.refresh_from_db()
    assert entry.checked_in_by == checked[0].checked_in_by
    assert str(entry.checked_in_by) in str(refused[0])
    assert [(c.field, c.by, c.reason) for c in entry_changes(entry)] == [
        ("checked_in_at", entry.checked_in_by_id, "checked in"),
        ("checked_in_by", entry.checked_in_by_id, "checked in"),
    ]
