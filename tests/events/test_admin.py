"""The events admin as organisers use it: real HTTP through the admin's own URLs, real services, PostgreSQL."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry, Event, PendingNotice, Session
from outbox.models import Message
from tests.audit import entry_changes, updates
from tests.factories import (
    EntryFactory,
    EventFactory,
    SessionFactory,
    UserFactory,
    VerifiedCarFactory,
    colour,
)

ENTRY_LIST = "/admin/events/entry/"
SESSION_LIST = "/admin/events/session/"
EVENT_LIST = "/admin/events/event/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def confirmed(session, slot, **kwargs):
    return EntryFactory(session=session, status=Entry.Status.CONFIRMED, slot=slot, **kwargs)


def waitlisted(session, **kwargs):
    return EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None, **kwargs)


def action(client, name, entries, url=ENTRY_LIST):
    return client.post(url, {"action": name, "_selected_action": [entry.pk for entry in entries]})


def slots(session):
    return list(Entry.objects.confirmed().filter(session=session).order_by("slot").values_list("pk", "slot"))


@pytest.fixture
def session(db):
    event = EventFactory(name="Gathering 2031", slug="gathering-2031")
    return SessionFactory(event=event, name="Nordschleife convoy", slug="convoy", capacity=3)


# --- the group ------------------------------------------------------------------------------------------


# --- access ---------------------------------------------------------------------------------------------


def admin_urls(session, entry):
    return [
        ENTRY_LIST,
        f"{ENTRY_LIST}{entry.pk}/change/",
        SESSION_LIST,
        f"{SESSION_LIST}{session.pk}/change/",
        f"{SESSION_LIST}{session.pk}/convoy/",
        EVENT_LIST,
    ]


@pytest.mark.django_db
def test_admin_urls_for_plain_owner_redirect_to_admin_login(owner_client, session):
    entry = confirmed(session, 1)

    responses = {url: owner_client.get(url) for url in admin_urls(session, entry)}

    for url, response in responses.items():
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/?next="), url


@pytest.mark.django_db
def test_admin_urls_for_staff_without_group_are_forbidden(client, session):
    entry = confirmed(session, 1)
    client.force_login(UserFactory(is_staff=True))

    responses = {url: client.get(url) for url in admin_urls(session, entry)}

    assert {url: response.status_code for url, response in responses.items()} == dict.fromkeys(responses, 403)


@pytest.mark.django_db
def test_admin_action_post_for_staff_without_group_is_forbidden_and_changes_nothing(client, session):
    entry = waitlisted(session)
    client.force_login(UserFactory(is_staff=True))

    response = action(client, "confirm_from_waitlist", [entry])

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITLISTED


# --- entry list -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/admin/events/event/abc/change/", "/admin/events/event/%C2%B2/change/"],
    ids=["letters", "superscript"],
)
def test_event_change_page_of_an_id_that_is_not_a_number_says_it_does_not_exist(organiser_client, path):
    response = organiser_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/events/entry/abc/history/",
        "/admin/events/entry/history/1/history/",
        "/admin/register/car/%C2%B2/history/",
    ],
    ids=["entry", "entry-nested", "car"],
)
def test_history_page_of_an_id_that_is_not_a_number_is_404(organiser_client, path):
    assert organiser_client.get(path).status_code == 404


def test_entry_changelist_shows_slot_order_with_swatch_market_and_driver(organiser_client, session):
    white = VerifiedCarFactory(colour=colour("Alpine White"), market="GB", nickname="Snowy", register_number=7)
    orange = VerifiedCarFactory(register_number=3, nickname="Tango")
    second = confirmed(session, 2, car=white)
    first = confirmed(session, 1, car=orange)
    waiting = waitlisted(session)

    response = organiser_client.get(ENTRY_LIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [first, second, waiting]
    html = response.content.decode()
    assert "background:#F3F3EF" in html
    assert "#7 Snowy" in html
    assert "United Kingdom" in html
    assert str(white.owner) in html


@pytest.mark.django_db
def test_entry_changelist_query_count_is_independent_of_rows(organiser_client, session, django_assert_num_queries):
    for slot in (1, 2):
        confirmed(session, slot)
    organiser_client.get(ENTRY_LIST)  # warm caches (content types, site)

    with django_assert_num_queries(10):
        organiser_client.get(ENTRY_LIST)
    for slot in range(3, 12):
        confirmed(session, slot)
    with django_assert_num_queries(10):
        response = organiser_client.get(ENTRY_LIST)

    assert len(response.context["cl"].result_list) == 11


@pytest.mark.django_db
def test_entry_changelist_offers_no_delete_action(organiser_client, session):
    confirmed(session, 1)

    response = organiser_client.get(ENTRY_LIST)

    choices = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert "confirm_from_waitlist" in choices


@pytest.mark.django_db
def test_entry_delete_view_is_forbidden_and_entry_kept(organiser_client, session):
    entry = confirmed(session, 1)

    response = organiser_client.post(f"{ENTRY_LIST}{entry.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_entry_delete_selected_action_posted_anyway_deletes_nothing(organiser_client, session):
    entry = confirmed(session, 1)

    response = action(organiser_client, "delete_selected", [entry])

    assert response.status_code == 302
    assert Entry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_entry_add_view_is_forbidden(organiser_client):
    response = organiser_client.get(f"{ENTRY_LIST}add/")

    assert response.status_code == 403


# --- entry actions --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_confirm_from_waitlist_with_a_free_place_confirms_with_next_slot(organiser_client, organiser, session):
    confirmed(session, 1)
    entry = waitlisted(session)

    response = action(organiser_client, "confirm_from_waitlist", [entry])

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.slot) == (Entry.Status.CONFIRMED, 2)
    assert messages_of(response) == ["1 entries confirmed."]
    assert [(c.field, c.new, c.by) for c in entry_changes(entry)] == [
        ("status", "confirmed", organiser.pk),
        ("slot", "2", organiser.pk),
    ]


@pytest.mark.django_db
def test_confirm_from_waitlist_when_full_shows_error_and_changes_nothing(organiser_client, session):
    for slot in (1, 2, 3):
        confirmed(session, slot)
    entry = waitlisted(session)

    response = action(organiser_client, "confirm_from_waitlist", [entry])

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.slot) == (Entry.Status.WAITLISTED, None)
    assert messages_of(response) == [
        f"{entry.car}: No place is free in this session: raise its capacity or move a car to the waitlist first."
    ]
    assert not updates().exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["confirm_from_waitlist", "move_to_waitlist", "cancel"])
def test_actions_on_a_session_that_is_over_change_nothing_and_mail_nobody(organiser_client, name):
    # The session is the car's history now; a "promotion" (with a ticket) or a move to the waitlist would be
    # emailed to the driver about a convoy that has happened.
    ended = timezone.now() - datetime.timedelta(hours=2)
    session = SessionFactory(capacity=3, starts_at=ended - datetime.timedelta(hours=1), ends_at=ended)
    entry = waitlisted(session) if name == "confirm_from_waitlist" else confirmed(session, 1)
    before = (entry.status, entry.slot)
    verb = "cancelled" if name == "cancel" else "changed"

    response = action(organiser_client, name, [entry])

    entry.refresh_from_db()
    assert (entry.status, entry.slot) == before
    assert messages_of(response) == [f"{entry.car}: This session is over: its entries can no longer be {verb}."]
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_move_to_waitlist_frees_the_slot(organiser_client, session):
    entry = confirmed(session, 1)

    response = action(organiser_client, "move_to_waitlist", [entry])

    entry.refresh_from_db()
    assert (entry.status, entry.slot) == (Entry.Status.WAITLISTED, None)
    assert messages_of(response) == ["1 entries moved to the waitlist."]


@pytest.mark.django_db
def test_cancel_action_cancels_and_promotes_head_of_waitlist(organiser_client, session):
    leaving = confirmed(session, 1)
    confirmed(session, 2)
    confirmed(session, 3)
    head = waitlisted(session)

    response = action(organiser_client, "cancel", [leaving])

    leaving.refresh_from_db()
    head.refresh_from_db()
    assert (leaving.status, leaving.slot) == (Entry.Status.CANCELLED, None)
    assert (head.status, head.slot) == (Entry.Status.CONFIRMED, 4)
    assert messages_of(response) == ["1 entries cancelled."]


@pytest.mark.django_db
def test_cancel_action_on_cancelled_entry_reports_error(organiser_client, session):
    entry = EntryFactory(session=session, status=Entry.Status.CANCELLED, slot=None)

    response = action(organiser_client, "cancel", [entry])

    assert response.status_code == 302
    assert messages_of(response) == [f"{entry.car}: This entry is already cancelled."]


@pytest.mark.django_db
def test_check_in_action_sets_check_in_time(organiser_client, session):
    entry = confirmed(session, 1)

    response = action(organiser_client, "check_in", [entry])

    entry.refresh_from_db()
    assert entry.checked_in_at is not None
    assert messages_of(response) == ["1 entries checked in."]
    assert [c.field for c in entry_changes(entry)] == ["checked_in_at", "checked_in_by"]


@pytest.mark.django_db
def test_check_in_action_twice_reports_error_and_keeps_first_time(organiser_client, organiser, session):
    entry = services.entry_check_in(entry=confirmed(session, 1), by=organiser)
    first_time = entry.checked_in_at

    response = action(organiser_client, "check_in", [entry])

    entry.refresh_from_db()
    assert entry.checked_in_at == first_time
    first = timezone.localtime(first_time).strftime("%H:%M")
    assert messages_of(response) == [f"{entry.car}: Already checked in at {first} by Orla Organiser."]


@pytest.mark.django_db
def test_assign_by_signup_action_numbers_whole_session_in_signup_order(organiser_client, session):
    now = timezone.now()
    a = confirmed(session, 3, created=now - datetime.timedelta(hours=3))
    b = confirmed(session, 1, created=now - datetime.timedelta(hours=2))
    c = confirmed(session, 2, created=now - datetime.timedelta(hours=1))

    response = action(organiser_client, "assign_by_signup", [b])

    assert slots(session) == [(a.pk, 1), (b.pk, 2), (c.pk, 3)]
    assert messages_of(response) == ["Slots assigned in 1 session(s)."]


@pytest.mark.django_db
def test_assign_by_colour_action_groups_largest_colour_first(organiser_client, session):
    now = timezone.now()
    white = confirmed(session, 1, car=VerifiedCarFactory(colour=colour("Alpine White")), created=now)
    orange_1 = confirmed(session, 2, created=now + datetime.timedelta(minutes=1))
    orange_2 = confirmed(session, 3, created=now + datetime.timedelta(minutes=2))

    action(organiser_client, "assign_by_colour", [white])

    assert slots(session) == [(orange_1.pk, 1), (orange_2.pk, 2), (white.pk, 3)]


@pytest.mark.django_db
def test_renumber_action_closes_gaps_keeping_order(organiser_client, session):
    a = confirmed(session, 4)
    b = confirmed(session, 9)

    action(organiser_client, "renumber", [a])

    assert slots(session) == [(a.pk, 1), (b.pk, 2)]
    assert updates(history_change_reason="renumbered").count() == 2


@pytest.mark.django_db
def test_export_csv_lists_selected_entries_in_slot_order(organiser_client, session):
    car_b = VerifiedCarFactory(register_number=12, nickname="=cmd", market="AU")
    car_a = VerifiedCarFactory(register_number=5, nickname="Tango")
    b = confirmed(session, 2, car=car_b)
    a = confirmed(session, 1, car=car_a)
    confirmed(session, 3)  # not selected

    response = action(organiser_client, "export_csv", [b, a])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="entries.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == [
        "Session,Slot,Register number,Nickname,Colour,Market,Driver,Status,Checked in",
        f"Gathering 2031 — Nordschleife convoy,1,5,Tango,Valencia Orange Metallic,DE,{car_a.owner},Confirmed,no",
        f"Gathering 2031 — Nordschleife convoy,2,12,'=cmd,Valencia Orange Metallic,AU,{car_b.owner},Confirmed,no",
    ]


# --- list_editable slot -----------------------------------------------------------------------------------


def slot_formset(entries, new_slots):
    data = {
        "form-TOTAL_FORMS": str(len(entries)),
        "form-INITIAL_FORMS": str(len(entries)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, (entry, slot) in enumerate(zip(entries, new_slots, strict=True)):
        data[f"form-{index}-id"] = str(entry.pk)
        data[f"form-{index}-slot"] = "" if slot is None else str(slot)
    return data


@pytest.mark.django_db
def test_list_editable_slot_change_goes_through_service_and_swaps(organiser_client, organiser, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)

    response = organiser_client.post(ENTRY_LIST, slot_formset([a, b], [2, 2]))

    assert response.status_code == 302
    assert slots(session) == [(b.pk, 1), (a.pk, 2)]
    assert [(c.old, c.new, c.by) for c in entry_changes(a)] == [("1", "2", organiser.pk)]
    assert [(c.old, c.new, c.by) for c in entry_changes(b)] == [("2", "1", organiser.pk)]


@pytest.mark.django_db
def test_list_editable_slot_to_free_number_writes_audit_row(organiser_client, session):
    a = confirmed(session, 1)

    organiser_client.post(ENTRY_LIST, slot_formset([a], [7]))

    assert slots(session) == [(a.pk, 7)]
    change = entry_changes(a)
    assert [(c.field, c.old, c.new, c.reason) for c in change] == [("slot", "1", "7", "slot set by an organiser")]


@pytest.mark.django_db
def test_list_editable_slot_on_waitlisted_entry_shows_field_error(organiser_client, session):
    entry = waitlisted(session)

    response = organiser_client.post(ENTRY_LIST, slot_formset([entry], [1]))

    assert response.status_code == 200
    assert response.context["cl"].formset.errors == [{"slot": ["Only confirmed entries have a slot."]}]
    entry.refresh_from_db()
    assert entry.slot is None
    assert not updates().exists()


@pytest.mark.django_db
def test_list_editable_clearing_a_confirmed_slot_shows_field_error(organiser_client, session):
    entry = confirmed(session, 1)

    response = organiser_client.post(ENTRY_LIST, slot_formset([entry], [None]))

    assert response.status_code == 200
    assert response.context["cl"].formset.errors == [
        {"slot": ["A confirmed car keeps a slot: move it to the waitlist or cancel it instead."]}
    ]
    entry.refresh_from_db()
    assert entry.slot == 1


@pytest.mark.django_db
def test_entry_change_view_shows_audit_trail_and_only_slot_editable(organiser_client, organiser, session):
    entry = waitlisted(session)
    action(organiser_client, "confirm_from_waitlist", [entry])

    response = organiser_client.get(f"{ENTRY_LIST}{entry.pk}/change/")

    assert response.status_code == 200
    # The slot, and the gate's attention note (events.admin.attention), each through its service.
    assert list(response.context["adminform"].form.fields) == ["attention_note", "slot"]
    page = response.content.decode()
    trail = page[page.index("<table><thead><tr><th") :]
    assert (
        trail.index("Waitlisted")
        < trail.index("Confirmed")
        < trail.index("confirmed from the waitlist by an organiser")
    )
    assert "<td>Slot</td><td>—</td><td>1</td><td>confirmed from the waitlist by an organiser</td>" in trail


@pytest.mark.django_db
def test_entry_change_view_slot_post_goes_through_service(organiser_client, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)

    response = organiser_client.post(f"{ENTRY_LIST}{a.pk}/change/", {"slot": "2"})

    assert response.status_code == 302
    assert slots(session) == [(b.pk, 1), (a.pk, 2)]


# --- sessions ----------------------------------------------------------------------------------------------


def session_form(session, **overrides):
    local = timezone.localtime
    data = {
        "event": session.event_id,
        "name": session.name,
        "slug": session.slug,
        "kind": session.kind,
        "track": session.track,
        "starts_at_0": local(session.starts_at).strftime("%Y-%m-%d"),
        "starts_at_1": local(session.starts_at).strftime("%H:%M:%S"),
        "ends_at_0": local(session.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": local(session.ends_at).strftime("%H:%M:%S"),
        "capacity": session.capacity,
        "laps": session.laps or "",
        "pace_car": session.pace_car,
        "requirements": session.requirements,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_session_capacity_below_confirmed_shows_error_on_capacity(organiser_client, session):
    confirmed(session, 1)
    confirmed(session, 2)

    response = organiser_client.post(f"{SESSION_LIST}{session.pk}/change/", session_form(session, capacity=1))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "capacity": ["2 cars are already confirmed: cancel or move entries to the waitlist first."]
    }
    session.refresh_from_db()
    assert session.capacity == 3


@pytest.mark.django_db
def test_session_capacity_raised_promotes_from_waitlist(organiser_client, organiser, session):
    for slot in (1, 2, 3):
        confirmed(session, slot)
    head = waitlisted(session)
    second = waitlisted(session)

    response = organiser_client.post(
        f"{SESSION_LIST}{session.pk}/change/", session_form(session, capacity=4, pace_car="BMW 2002 turbo (red)")
    )

    assert response.status_code == 302
    session.refresh_from_db()
    head.refresh_from_db()
    second.refresh_from_db()
    assert (session.capacity, session.pace_car) == (4, "BMW 2002 turbo (red)")
    assert (head.status, head.slot) == (Entry.Status.CONFIRMED, 4)
    assert second.status == Entry.Status.WAITLISTED
    assert [(c.field, c.reason) for c in entry_changes(head)] == [
        ("status", "promoted: capacity raised"),
        ("slot", "promoted: capacity raised"),
    ]


@pytest.mark.django_db
def test_session_changelist_shows_counts_with_constant_queries(organiser_client, session, django_assert_num_queries):
    confirmed(session, 1)
    waitlisted(session)
    organiser_client.get(SESSION_LIST)

    with django_assert_num_queries(8):
        response = organiser_client.get(SESSION_LIST)
    for _index in range(4):
        other = SessionFactory(event=session.event, capacity=5)
        confirmed(other, 1)
    with django_assert_num_queries(8):
        organiser_client.get(SESSION_LIST)

    html = response.content.decode()
    assert "1 / 3" in html
    assert f'href="/admin/events/session/{session.pk}/convoy/"' in html


@pytest.mark.django_db
def test_session_renumber_action(organiser_client, session):
    a = confirmed(session, 5)

    response = organiser_client.post(SESSION_LIST, {"action": "renumber", "_selected_action": [session.pk]})

    assert response.status_code == 302
    assert slots(session) == [(a.pk, 1)]
    assert messages_of(response) == ["Slots renumbered in 1 session(s)."]


@pytest.mark.django_db
def test_event_inline_does_not_change_capacity_of_existing_session(organiser_client, session):
    event = session.event
    local = timezone.localtime
    data = {
        "name": event.name,
        "slug": event.slug,
        "venue": event.venue,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "description": "",
        "payment_days": event.payment_days,
        "registration_opens_0": local(event.registration_opens).strftime("%Y-%m-%d"),
        "registration_opens_1": local(event.registration_opens).strftime("%H:%M:%S"),
        "registration_closes_0": local(event.registration_closes).strftime("%Y-%m-%d"),
        "registration_closes_1": local(event.registration_closes).strftime("%H:%M:%S"),
        "sessions-TOTAL_FORMS": "1",
        "sessions-INITIAL_FORMS": "1",
        "sessions-MIN_NUM_FORMS": "0",
        "sessions-MAX_NUM_FORMS": "1000",
        "sessions-0-id": session.pk,
        "sessions-0-event": event.pk,
    }
    for key, value in session_form(session, capacity=0, name="Renamed convoy").items():
        if key not in ("event", "requirements"):
            data[f"sessions-0-{key}"] = value

    response = organiser_client.post(f"{EVENT_LIST}{event.pk}/change/", data)

    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.name, session.capacity) == ("Renamed convoy", 3)


# --- convoy order view ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_convoy_view_lists_confirmed_in_slot_order(organiser_client, session):
    second = confirmed(session, 2, car=VerifiedCarFactory(register_number=22, nickname="Second"))
    first = confirmed(session, 1, car=VerifiedCarFactory(register_number=11, nickname="First"))
    waitlisted(session, car=VerifiedCarFactory(register_number=33, nickname="Waiting"))

    response = organiser_client.get(f"{SESSION_LIST}{session.pk}/convoy/")

    assert response.status_code == 200
    assert response.context["entries"] == [first, second]
    html = response.content.decode()
    assert html.index("#11 First") < html.index("#22 Second")
    assert "Waiting" not in html
    assert "js/admin-convoy.js" in html


@pytest.mark.django_db
def test_convoy_view_post_saves_new_order_with_audit(organiser_client, organiser, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)
    c = confirmed(session, 3)
    url = f"{SESSION_LIST}{session.pk}/convoy/"

    response = organiser_client.post(url, {"entry": [c.pk, a.pk, b.pk], "seen": f"{a.pk},{b.pk},{c.pk}"})

    assert response.status_code == 302
    assert response["Location"] == url
    assert slots(session) == [(c.pk, 1), (a.pk, 2), (b.pk, 3)]
    assert [(c.old, c.new, c.reason) for c in entry_changes(c)] == [("3", "1", "convoy reordered")]
    assert [(c.old, c.new, c.reason) for c in entry_changes(a)] == [("1", "2", "convoy reordered")]
    assert [(c.old, c.new, c.reason) for c in entry_changes(b)] == [("2", "3", "convoy reordered")]
    assert messages_of(response) == ["Convoy order saved."]


@pytest.mark.django_db
def test_convoy_view_post_with_missing_car_changes_nothing(organiser_client, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)

    response = organiser_client.post(
        f"{SESSION_LIST}{session.pk}/convoy/", {"entry": [b.pk], "seen": f"{a.pk},{b.pk}"}
    )

    assert response.status_code == 302
    assert slots(session) == [(a.pk, 1), (b.pk, 2)]
    assert messages_of(response) == ["The new order must list every confirmed car of this session exactly once."]
    assert not updates().exists()


@pytest.mark.django_db
def test_convoy_view_post_with_garbage_ids_changes_nothing(organiser_client, session):
    a = confirmed(session, 1)

    response = organiser_client.post(f"{SESSION_LIST}{session.pk}/convoy/", {"entry": ["1; DROP", a.pk], "seen": a.pk})

    assert response.status_code == 302
    assert slots(session) == [(a.pk, 1)]
    assert messages_of(response) == ["The order sent was not understood."]


@pytest.mark.django_db
def test_convoy_view_post_without_the_order_seen_changes_nothing(organiser_client, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)

    response = organiser_client.post(f"{SESSION_LIST}{session.pk}/convoy/", {"entry": [b.pk, a.pk]})

    assert response.status_code == 302
    assert slots(session) == [(a.pk, 1), (b.pk, 2)]
    assert messages_of(response) == ["The order sent was not understood."]


@pytest.mark.django_db
def test_convoy_view_post_from_a_stale_page_is_refused_with_the_current_order(organiser_client, client, session):
    # Tab A and tab B open the convoy page; A moves #21 to the front and saves; B, still showing the old
    # order, moves one car and saves. B is refused, told what changed, and shown the current order.
    session.capacity = 4
    session.save()
    services.roster_publish(event=session.event)  # so a save would queue notices to the moved drivers
    cars = [
        VerifiedCarFactory(register_number=number, nickname=name)
        for number, name in [(11, "Ember"), (12, "Frost"), (13, "Blaze"), (21, "Shadow")]
    ]
    e11, e12, e13, e21 = (confirmed(session, slot, car=car) for slot, car in enumerate(cars, start=1))
    url = f"{SESSION_LIST}{session.pk}/convoy/"
    tab_a = organiser_client.get(url).context["seen"]
    tab_b = organiser_client.get(url).context["seen"]
    assert tab_a == tab_b == f"{e11.pk},{e12.pk},{e13.pk},{e21.pk}"
    saved = organiser_client.post(url, {"entry": [e21.pk, e11.pk, e12.pk, e13.pk], "seen": tab_a}, follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["Convoy order saved."]
    after_a = slots(session)
    notices = list(PendingNotice.objects.values_list("pk", "send_after"))

    refused = organiser_client.post(url, {"entry": [e12.pk, e11.pk, e13.pk, e21.pk], "seen": tab_b}, follow=True)

    assert after_a == [(e21.pk, 1), (e11.pk, 2), (e12.pk, 3), (e13.pk, 4)]
    assert slots(session) == after_a
    assert list(PendingNotice.objects.values_list("pk", "send_after")) == notices
    assert [c.reason for c in entry_changes(e21)] == ["convoy reordered"]
    assert [str(m) for m in refused.context["messages"]] == [
        "Someone changed this convoy's order after you opened the page, so your order was not saved. "
        "Since then: #21 Shadow moved to place 1 (was 4). Below is the current order: make your moves again "
        "and save."
    ]
    assert refused.context["entries"] == [e21, e11, e12, e13]
    assert refused.context["seen"] == f"{e21.pk},{e11.pk},{e12.pk},{e13.pk}"


@pytest.mark.django_db
def test_convoy_view_post_requires_csrf_token(client, organiser, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(organiser)

    response = csrf_client.post(f"{SESSION_LIST}{session.pk}/convoy/", {"entry": [b.pk, a.pk]})

    assert response.status_code == 403
    assert slots(session) == [(a.pk, 1), (b.pk, 2)]


@pytest.mark.django_db
def test_convoy_view_needs_change_entry_permission(client, session):
    a = confirmed(session, 1)
    b = confirmed(session, 2)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="events", codename="view_session"),
        Permission.objects.get(content_type__app_label="events", codename="view_entry"),
    )
    client.force_login(viewer)

    get = client.get(f"{SESSION_LIST}{session.pk}/convoy/")
    post = client.post(f"{SESSION_LIST}{session.pk}/convoy/", {"entry": [b.pk, a.pk]})

    assert (get.status_code, post.status_code) == (403, 403)
    assert slots(session) == [(a.pk, 1), (b.pk, 2)]


@pytest.mark.django_db
def test_session_change_page_links_to_convoy_order(organiser_client, session):
    response = organiser_client.get(f"{SESSION_LIST}{session.pk}/change/")

    assert f'href="/admin/events/session/{session.pk}/convoy/"' in response.content.decode()


# --- events -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_publish_roster_action_asks_first_then_publishes(organiser_client, session):
    event = session.event
    EntryFactory(session=session, slot=1)
    data = {"action": "publish_roster", "_selected_action": [event.pk]}

    asked = organiser_client.post(EVENT_LIST, data)

    event.refresh_from_db()
    assert event.roster_published is False
    assert asked.status_code == 200
    assert "Each confirmed driver gets one email" in asked.content.decode()
    assert f"{event}: 1 confirmed car" in asked.content.decode()

    response = organiser_client.post(EVENT_LIST, {**data, "confirmed": "yes"})

    event.refresh_from_db()
    assert event.roster_published is True
    assert event.roster_published_at is not None
    assert messages_of(response) == ["Roster published for 1 event."]


@pytest.mark.django_db
def test_publish_from_event_page_asks_first_then_publishes(organiser_client, session):
    event = session.event
    url = reverse("admin:events_event_publish", args=[event.pk])

    change_page = organiser_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    asked = organiser_client.get(url)

    assert url in change_page
    assert asked.status_code == 200
    assert Event.objects.get(pk=event.pk).roster_published is False
    response = organiser_client.post(url)
    assert response["Location"] == reverse("admin:events_event_change", args=[event.pk])
    assert Event.objects.get(pk=event.pk).roster_published is True
    assert (
        reverse("admin:events_event_unpublish", args=[event.pk])
        in organiser_client.get(response["Location"]).content.decode()
    )


@pytest.mark.django_db
def test_event_page_links_to_everything_for_the_day(organiser_client, session):
    event = session.event

    page = organiser_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    for url in [
        reverse("admin:events_session_convoy", args=[session.pk]),
        reverse("admin:events_entry_changelist") + f"?session__id__exact={session.pk}",
        reverse("admin:events_session_marshal_sheet", args=[session.pk]),
        reverse("events:check_in", args=[event.slug]),
        reverse("admin:events_event_publish", args=[event.pk]),
    ]:
        assert f'href="{url}"' in page, url


@pytest.mark.django_db
def test_publish_question_speaks_of_the_one_event_in_german(organiser_client, organiser, session):
    organiser.language = "de"
    organiser.save()
    event = session.event

    asked = organiser_client.get(reverse("admin:events_event_unpublish", args=[event.pk])).content.decode()
    event.roster_published = True
    event.save()
    asked_again = organiser_client.get(reverse("admin:events_event_publish", args=[event.pk])).content.decode()

    assert "Die Starterliste dieser Veranstaltung verschwindet" in asked
    assert "derzeit nicht veröffentlicht" in asked  # "jetzt" read as "has just been"
    assert "Die Starterliste dieser Veranstaltung wird öffentlich" in asked_again
    assert "derzeit veröffentlicht" in asked_again


@pytest.mark.django_db
def test_admin_is_branded_for_organisers(organiser_client):
    page = organiser_client.get("/admin/").content.decode()

    assert "1M Register — organisers" in page
    assert "Django administration" not in page


@pytest.mark.django_db
def test_unpublish_roster_action_unpublishes(organiser_client, organiser, session):
    event = services.roster_publish(event=session.event)

    response = organiser_client.post(
        EVENT_LIST, {"action": "unpublish_roster", "_selected_action": [event.pk], "confirmed": "yes"}
    )

    event.refresh_from_db()
    assert (event.roster_published, event.roster_published_at) == (False, None)
    assert messages_of(response) == ["Roster unpublished for 1 event."]


@pytest.mark.django_db
def test_organiser_cannot_delete_events_or_sessions(organiser_client, session):
    event_delete = organiser_client.post(f"{EVENT_LIST}{session.event_id}/delete/", {"post": "yes"})
    session_delete = organiser_client.post(f"{SESSION_LIST}{session.pk}/delete/", {"post": "yes"})

    assert (event_delete.status_code, session_delete.status_code) == (403, 403)
    assert Event.objects.count() == 1
    assert Session.objects.count() == 1


# --- cars are read-only for organisers --------------------------------------------------------------------


@pytest.mark.django_db
def test_organiser_can_view_but_not_change_a_car(organiser_client):
    car = VerifiedCarFactory(nickname="Tango")
    url = f"/admin/register/car/{car.pk}/change/"

    view = organiser_client.get(url)
    post = organiser_client.post(url, {"nickname": "Hacked"})

    assert view.status_code == 200
    assert view.context["has_change_permission"] is False
    assert post.status_code == 403
    car.refresh_from_db()
    assert car.nickname == "Tango"


@pytest.mark.django_db
def test_entry_history_is_read_only_even_for_organisers(organiser_client, organiser, session):
    entry = confirmed(session, 1)
    created = entry.history.get()
    services.entry_check_in(entry=entry, by=organiser)
    old_version = reverse("admin:events_entry_simple_history", args=[entry.pk, created.history_id])

    listing = organiser_client.get(reverse("admin:events_entry_history", args=[entry.pk]))
    view = organiser_client.get(old_version)
    revert = organiser_client.post(old_version, {"slot": "5"})

    assert listing.status_code == 200
    assert [(r.history_change_reason, r.history_user) for r in listing.context["page_obj"]] == [
        ("checked in", organiser),
        (None, None),
    ]
    assert (view.status_code, view.context["revert_disabled"]) == (200, True)
    assert "Revert" not in view.content.decode()
    assert revert.status_code == 403
    entry.refresh_from_db()
    assert (entry.slot, entry.checked_in_by) == (1, organiser)
    assert entry.history.count() == 2


# --- an admin that guides: swaps named, hand-made orders protected ------------------------------------------


@pytest.mark.django_db
def test_list_editable_swap_says_so_and_names_both_cars(organiser_client, session):
    a = confirmed(session, 1, car__nickname="Ember")
    b = confirmed(session, 2, car__nickname="Frost")

    response = organiser_client.post(ENTRY_LIST, slot_formset([a, b], [2, 2]), follow=True)

    said = [str(m) for m in response.context["messages"]]
    assert f"{a.car} and {b.car} swapped places: {a.car} is now slot 2, {b.car} slot 1." in said


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "url", "method"),
    [
        ("assign_by_signup", SESSION_LIST, "signup"),
        ("assign_by_colour", SESSION_LIST, "colour"),
        ("renumber", SESSION_LIST, "renumber"),
        ("assign_by_signup", ENTRY_LIST, "signup"),
        ("renumber", ENTRY_LIST, "renumber"),
    ],
)
def test_automatic_numbering_asks_before_overwriting_a_hand_made_order(organiser_client, session, name, url, method):
    session.capacity = 5
    session.save()
    a, b, c = confirmed(session, 1), confirmed(session, 2), confirmed(session, 3)
    services.convoy_reorder(session=session, entry_ids=[c.pk, a.pk, b.pk], seen=[a.pk, b.pk, c.pk], by=None)
    services.entry_set_slot(entry=b, slot=7, by=None)  # a gap, so renumbering moves a car too
    before = slots(session)
    selected = [session.pk] if url == SESSION_LIST else [a.pk]
    data = {"action": name, "_selected_action": selected}

    asked = organiser_client.post(url, data)

    assert asked.status_code == 200
    assert "An organiser put these convoys in order by hand." in asked.content.decode()
    assert slots(session) == before
    done = organiser_client.post(url, {**data, "confirmed": "yes"})
    assert done.status_code == 302
    assert slots(session) != before


@pytest.mark.django_db
def test_automatic_numbering_of_an_automatic_order_does_not_ask(organiser_client, session):
    a, b = confirmed(session, 2), confirmed(session, 1)

    response = organiser_client.post(SESSION_LIST, {"action": "assign_by_signup", "_selected_action": [session.pk]})

    assert response.status_code == 302
    assert slots(session) == [(a.pk, 1), (b.pk, 2)]
    session.refresh_from_db()
    assert session.convoy_hand_ordered is False


@pytest.mark.django_db
def test_hand_order_flag_set_by_hand_and_cleared_by_auto_assign(session):
    a, b = confirmed(session, 1), confirmed(session, 2)

    services.convoy_reorder(session=session, entry_ids=[b.pk, a.pk], seen=[a.pk, b.pk], by=None)
    assert Session.objects.get(pk=session.pk).convoy_hand_ordered is True
    assert services.convoy_overwrites_hand_order(session=session, method="signup") == 2
    assert services.convoy_overwrites_hand_order(session=session, method="renumber") == 0

    services.convoy_assign_by_colour(session=session, by=None)
    assert Session.objects.get(pk=session.pk).convoy_hand_ordered is False


@pytest.mark.django_db
def test_export_csv_for_a_german_organiser_has_semicolons_and_the_bom(organiser_client, organiser, session):
    organiser.language = "de"
    organiser.save(update_fields=["language"])
    car = VerifiedCarFactory(register_number=7, nickname="Kürbis; rot, schnell")
    entry = confirmed(session, 1, car=car)

    response = action(organiser_client, "export_csv", [entry])

    assert response.content.startswith(b"\xef\xbb\xbfTurn;Startplatz;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[1][3] == "Kürbis; rot, schnell"
    assert len(rows[1]) == 9
