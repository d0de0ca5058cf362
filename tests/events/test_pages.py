"""Owner pages of events: list, event page with sign-up, my entries, cancel."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from events.models import Entry
from tests.factories import CarFactory, EntryFactory, EventFactory, SessionFactory, VerifiedCarFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def signup_url(session) -> str:
    return reverse("events:signup", args=[session.event.slug, session.slug])


# --- event list ----------------------------------------------------------------------------------------------


def test_event_list_shows_upcoming_and_past_with_roster_link(client):
    today = timezone.localdate()
    upcoming = EventFactory(name="Gathering 2030", slug="gathering-2030")
    past = EventFactory(
        name="Gathering 2020",
        slug="gathering-2020",
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today - datetime.timedelta(days=398),
        registration_opens=timezone.now() - datetime.timedelta(days=500),
        registration_closes=timezone.now() - datetime.timedelta(days=450),
        roster_published=True,
    )

    response = client.get(reverse("events:list"))

    html = response.content.decode()
    assert response.status_code == 200
    positions = [html.index(text) for text in ("Upcoming events", upcoming.name, "Past events", past.name)]
    assert positions == sorted(positions)
    assert "Registration open" in html
    assert reverse("events:roster", args=[past.slug]) in html
    assert reverse("events:roster", args=[upcoming.slug]) not in html


def test_event_list_query_count_is_constant(client, django_assert_num_queries):
    EventFactory.create_batch(5)

    with django_assert_num_queries(2):
        response = client.get(reverse("events:list"))

    assert response.status_code == 200


# --- event page -----------------------------------------------------------------------------------------------


def test_event_page_anonymous_sees_sessions_and_login_link(client):
    session = SessionFactory(capacity=55, requirements="Helmet and a valid driving licence")
    EntryFactory.create_batch(7, session=session)
    event = session.event

    response = client.get(event.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert session.name in html
    assert "48 of 55 places left" in html
    assert "Helmet and a valid driving licence" in html
    assert "BMW 2002 turbo" in html
    assert f"{reverse('account_login')}?next={event.get_absolute_url()}" in html
    assert "Log in to sign up" in html
    assert "Cars awaiting verification may sign up; registrars verify them before the event." in html
    assert reverse("events:calendar", args=[event.slug]) in html
    assert 'name="car"' not in html


def test_event_page_shows_one_place_left_in_singular(client):
    session = SessionFactory(capacity=2)
    EntryFactory(session=session)

    response = client.get(session.event.get_absolute_url())

    assert "1 of 2 place left" in response.content.decode()


def test_event_page_shows_no_place_left_while_cars_wait_for_a_freed_one(client):
    # A place freed while cars wait is theirs (services.entry_create): a newcomer would join the waitlist.
    session = SessionFactory(capacity=2)
    EntryFactory(session=session)
    EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)

    response = client.get(session.event.get_absolute_url())

    assert "0 of 2 places left · 1 on the waitlist" in " ".join(response.content.decode().split())


def test_event_page_shows_session_times_in_berlin_time(client):
    event = EventFactory(starts_on=datetime.date(2031, 9, 20), ends_on=datetime.date(2031, 9, 21))
    SessionFactory(event=event, starts_at=datetime.datetime(2031, 9, 20, 7, 30, tzinfo=datetime.UTC))

    response = client.get(event.get_absolute_url())

    assert "20 September 2031, 09:30" in response.content.decode()


def test_event_page_owner_gets_form_with_only_own_cars(client, owner, other_owner):
    mine = VerifiedCarFactory(owner=owner, nickname="Orange Peel")
    pending = CarFactory(owner=owner, nickname="Fresh One")
    theirs = VerifiedCarFactory(owner=other_owner, nickname="Not Yours")
    session = SessionFactory(requirements="Helmet")
    client.force_login(owner)

    response = client.get(session.event.get_absolute_url())

    html = response.content.decode()
    form = response.context["sessions"][0].signup_form
    assert list(form.fields["car"].queryset) == [mine, pending]
    assert "Orange Peel" in html
    assert "Fresh One" in html
    assert "Not Yours" not in html
    assert theirs.vin not in html
    assert "I confirm: Helmet" in html
    assert f'action="{signup_url(session)}"' in html


def test_event_page_without_requirements_has_no_confirm_box(client, owner):
    VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)

    response = client.get(session.event.get_absolute_url())

    form = response.context["sessions"][0].signup_form
    assert list(form.fields) == ["token", "car", "emergency_name", "emergency_phone"]


def test_event_page_owner_without_car_gets_link_to_add_one(client, owner):
    session = SessionFactory()
    client.force_login(owner)

    response = client.get(session.event.get_absolute_url())

    html = response.content.decode()
    assert reverse("register:car_add") in html
    assert response.context["sessions"][0].signup_form is None


def test_event_page_registration_closed_has_no_form(client, owner):
    VerifiedCarFactory(owner=owner)
    event = EventFactory(
        registration_opens=timezone.now() - datetime.timedelta(days=10),
        registration_closes=timezone.now() - datetime.timedelta(days=1),
    )
    SessionFactory(event=event)
    client.force_login(owner)

    response = client.get(event.get_absolute_url())

    html = response.content.decode()
    assert "Registration is closed." in html
    assert response.context["sessions"][0].signup_form is None
    # Who "may sign up" is no news once nobody may.
    assert "Cars awaiting verification may sign up" not in html


def test_event_page_unknown_slug_is_404(client):
    assert client.get(reverse("events:detail", args=["no-such-event"])).status_code == 404


# --- sign-up ------------------------------------------------------------------------------------------------


def test_signup_confirms_with_slot_and_redirects_to_my_entries(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(capacity=5, requirements="Helmet")
    EntryFactory(session=session, slot=1)
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": car.pk, "requirements_confirmed": "on"})

    assert response.status_code == 302
    assert response["Location"] == reverse("events:my_entries")
    entry = Entry.objects.get(car=car)
    assert (entry.status, entry.slot, entry.driver, entry.requirements_confirmed) == ("confirmed", 2, owner, True)
    assert messages_of(response) == [f"{session.name} at {session.event.name}: confirmed, slot 2."]


def test_signup_pending_car_is_allowed(client, owner):
    car = CarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)

    client.post(signup_url(session), {"car": car.pk})

    assert Entry.objects.get(car=car).status == Entry.Status.CONFIRMED


def test_signup_full_session_puts_car_on_waitlist(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(capacity=1, requirements="")
    EntryFactory(session=session)
    EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": car.pk})

    assert response["Location"] == reverse("events:my_entries")
    assert Entry.objects.get(car=car).status == Entry.Status.WAITLISTED
    assert messages_of(response) == [f"{session.name} at {session.event.name}: you are on the waitlist, position 2."]


def test_signup_window_closed_is_an_error_message(client, owner):
    car = VerifiedCarFactory(owner=owner)
    event = EventFactory(
        registration_opens=timezone.now() - datetime.timedelta(days=10),
        registration_closes=timezone.now() - datetime.timedelta(days=1),
    )
    session = SessionFactory(event=event, requirements="")
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": car.pk})

    assert response.status_code == 302
    assert response["Location"] == event.get_absolute_url()
    assert messages_of(response) == ["Registration for this event has closed."]
    assert not Entry.objects.exists()


def test_session_that_has_started_offers_no_form_and_refuses_a_sign_up(client, owner):
    # Registration may stay open over a gathering's days; a session already under way takes nobody new.
    car = VerifiedCarFactory(owner=owner)
    now = timezone.now()
    event = EventFactory(starts_on=now.date(), registration_closes=now + datetime.timedelta(days=2))
    started = SessionFactory(
        event=event,
        requirements="",
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=1),
    )
    later = SessionFactory(event=event, requirements="", starts_at=now + datetime.timedelta(hours=3))
    client.force_login(owner)

    page = client.get(event.get_absolute_url())
    response = client.post(signup_url(started), {"car": car.pk})

    forms = {s.pk: s.signup_form for s in page.context["sessions"]}
    assert forms[started.pk] is None
    assert forms[later.pk] is not None
    assert "This session has already started: it takes no more sign-ups." in page.content.decode()
    assert response["Location"] == event.get_absolute_url()
    assert messages_of(response) == ["This session has already started: it takes no more sign-ups."]
    assert not Entry.objects.exists()


def test_signup_twice_is_an_error_message(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)
    client.post(signup_url(session), {"car": car.pk}, follow=True)

    response = client.post(signup_url(session), {"car": car.pk})

    assert response["Location"] == session.event.get_absolute_url()
    assert messages_of(response) == ["This car is already signed up for this session."]
    assert Entry.objects.count() == 1


def form_token(client, session) -> str:
    """The token of the session's sign-up form as the event page renders it."""
    page = client.get(session.event.get_absolute_url())
    token = page.context["sessions"][0].signup_form["token"].value()
    assert f'<input type="hidden" name="token" value="{token}"' in page.content.decode()
    return token


def sign_up(client, session, data) -> tuple[str, list[str]]:
    """Post the sign-up form and follow the redirect: where it lands and the messages shown there."""
    response = client.post(signup_url(session), data, follow=True)
    return response.redirect_chain[-1][0], [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("capacity", "message"), [(5, "confirmed, slot 2."), (1, "you are on the waitlist, position 1.")]
)
def test_signup_form_sent_twice_lands_on_the_same_success(client, owner, capacity, message):
    # A double click on "Sign up" posts the same form twice.
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="", capacity=capacity)
    EntryFactory(session=session, slot=1)
    client.force_login(owner)
    data = {"car": car.pk, "token": form_token(client, session)}
    first = sign_up(client, session, data)

    second = sign_up(client, session, data)

    success = (reverse("events:my_entries"), [f"{session.name} at {session.event.name}: {message}"])
    assert first == second == success
    assert Entry.objects.filter(car=car).count() == 1


def test_signup_form_sent_twice_before_either_answer_is_read_shows_its_success_once(client, owner):
    # Without JavaScript a double click posts twice and the browser follows only the second redirect: both
    # answers' messages wait for the next page, which shows the same words once.
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)
    data = {"car": car.pk, "token": form_token(client, session)}
    client.post(signup_url(session), data)
    client.post(signup_url(session), data)

    page = client.get(reverse("events:my_entries")).content.decode()

    assert page.count(f"{session.name} at {session.event.name}: confirmed, slot 1.") == 1


def test_signup_with_the_token_of_another_form_is_still_an_error(client, owner):
    # The event page open in two tabs, "Sign up" in each.
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)
    first_tab, second_tab = form_token(client, session), form_token(client, session)
    sign_up(client, session, {"car": car.pk, "token": first_tab})

    again = sign_up(client, session, {"car": car.pk, "token": second_tab})

    assert again == (session.event.get_absolute_url(), ["This car is already signed up for this session."])
    assert Entry.objects.count() == 1


def test_signup_form_sent_again_after_cancelling_signs_up_again(client, owner):
    # Back in the browser after cancelling, the old form (and its token) is sent once more: a new sign-up.
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)
    data = {"car": car.pk, "token": form_token(client, session)}
    sign_up(client, session, data)
    client.post(reverse("events:entry_cancel", args=[Entry.objects.get().pk]), follow=True)

    landed, _messages = sign_up(client, session, data)

    assert landed == reverse("events:my_entries")
    assert sorted(Entry.objects.values_list("status", flat=True)) == ["cancelled", "confirmed"]


def test_signup_token_of_an_entry_in_another_session_is_refused(client, owner):
    # Only a form tampered with carries a token of another session's sign-up.
    car = VerifiedCarFactory(owner=owner)
    first = SessionFactory(requirements="")
    other = SessionFactory(event=first.event, requirements="")
    client.force_login(owner)
    token = form_token(client, first)
    sign_up(client, first, {"car": car.pk, "token": token})

    refused = sign_up(client, other, {"car": car.pk, "token": token})

    assert refused == (first.event.get_absolute_url(), ["This form has been sent before. Reload the page to sign up."])
    assert list(Entry.objects.values_list("session", flat=True)) == [first.pk]


def test_signup_without_any_car_is_a_form_error(client, owner, other_owner):
    theirs = VerifiedCarFactory(owner=other_owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": theirs.pk})

    assert response.status_code == 200
    assert "Choose one of your own cars." in response.content.decode()
    assert not Entry.objects.exists()


def test_signup_with_another_users_car_is_a_form_error(client, owner, other_owner):
    VerifiedCarFactory(owner=owner)
    theirs = VerifiedCarFactory(owner=other_owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": theirs.pk})

    assert response.status_code == 200
    assert response.context["sessions"][0].signup_form.errors == {"car": ["Choose one of your own cars."]}
    assert "Choose one of your own cars." in response.content.decode()
    assert not Entry.objects.exists()


@pytest.mark.parametrize("data", [{}, {"car": ""}, {"car": "abc"}, {"car": "999999999"}, {"car": "1' OR 1=1"}])
def test_signup_bad_car_value_is_a_form_error(client, owner, data):
    VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="")
    client.force_login(owner)

    response = client.post(signup_url(session), data)

    assert response.status_code == 200
    assert "car" in response.context["sessions"][0].signup_form.errors
    assert not Entry.objects.exists()


def test_signup_without_confirming_requirements_is_a_form_error(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory(requirements="Helmet")
    client.force_login(owner)

    response = client.post(signup_url(session), {"car": car.pk})

    assert response.status_code == 200
    assert response.context["sessions"][0].signup_form.errors == {
        "requirements_confirmed": ["Please confirm the requirements to sign up."]
    }
    assert not Entry.objects.exists()


def test_signup_unknown_session_is_404(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory()
    client.force_login(owner)

    response = client.post(reverse("events:signup", args=[session.event.slug, "nope"]), {"car": car.pk})

    assert response.status_code == 404


def test_signup_anonymous_is_sent_to_login_and_back(client):
    session = SessionFactory()
    url = signup_url(session)

    response = client.post(url, {"car": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert not Entry.objects.exists()


def test_signup_get_redirects_to_event_page(client, owner):
    session = SessionFactory()
    client.force_login(owner)

    response = client.get(signup_url(session))

    assert response["Location"] == session.event.get_absolute_url()


def test_event_page_shows_my_existing_entry_instead_of_form(client, owner):
    car = VerifiedCarFactory(owner=owner)
    session = SessionFactory()
    EntryFactory(session=session, car=car, slot=4)
    client.force_login(owner)

    response = client.get(session.event.get_absolute_url())

    assert f"You are signed up with {car}: slot 4." in response.content.decode()
    assert response.context["sessions"][0].signup_form is None


# --- my entries and cancel ------------------------------------------------------------------------------------


def test_my_entries_requires_login(client):
    response = client.get(reverse("events:my_entries"))

    assert response["Location"] == f"{reverse('account_login')}?next={reverse('events:my_entries')}"


def test_my_entries_shows_slot_waitlist_position_and_cancelled(client, owner, other_owner):
    car = VerifiedCarFactory(owner=owner, nickname="Mine")
    confirmed = EntryFactory(car=car, slot=7, session__name="Saturday convoy")
    full = SessionFactory(name="Sunday GP", capacity=0)
    EntryFactory(session=full, status=Entry.Status.WAITLISTED, slot=None)
    waiting = EntryFactory(session=full, car=car, status=Entry.Status.WAITLISTED, slot=None)
    gone = EntryFactory(car=car, status=Entry.Status.CANCELLED, slot=None, session__name="Old session")
    EntryFactory(car=VerifiedCarFactory(owner=other_owner), session__name="Someone else's session")
    client.force_login(owner)

    response = client.get(reverse("events:my_entries"))

    html = response.content.decode()
    entries = {e.pk: e for e in response.context["entries"]}
    assert set(entries) == {confirmed.pk, waiting.pk, gone.pk}
    assert entries[waiting.pk].waitlist_position == 2
    assert "slot 7" in html
    assert "position 2" in html
    assert "Someone else" not in html
    assert html.count("entry-cancelled") == 1
    assert reverse("events:entry_cancel", args=[confirmed.pk]) in html
    assert reverse("events:entry_cancel", args=[waiting.pk]) in html
    assert reverse("events:entry_cancel", args=[gone.pk]) not in html


def test_my_entries_query_count_is_constant(client, owner, django_assert_num_queries):
    car = VerifiedCarFactory(owner=owner)
    for _ in range(5):
        EntryFactory(car=car, status=Entry.Status.WAITLISTED, slot=None)
    client.force_login(owner)

    # session, user, entries (waitlist positions in the same query)
    with django_assert_num_queries(3):
        response = client.get(reverse("events:my_entries"))

    assert response.status_code == 200


def test_cancel_get_shows_confirmation_and_changes_nothing(client, owner):
    entry = EntryFactory(car=VerifiedCarFactory(owner=owner))
    client.force_login(owner)

    response = client.get(reverse("events:entry_cancel", args=[entry.pk]))

    assert response.status_code == 200
    assert "Yes, cancel my entry" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED


def test_cancel_post_cancels_keeps_entry_and_promotes_waitlist(client, owner):
    entry = EntryFactory(car=VerifiedCarFactory(owner=owner), session__capacity=1, slot=1)
    waiting = EntryFactory(session=entry.session, status=Entry.Status.WAITLISTED, slot=None)
    client.force_login(owner)

    response = client.post(reverse("events:entry_cancel", args=[entry.pk]))

    assert response["Location"] == reverse("events:my_entries")
    assert messages_of(response) == [
        f"Your entry for {entry.session.name} at {entry.session.event.name} is cancelled."
    ]
    entry.refresh_from_db()
    waiting.refresh_from_db()
    assert (entry.status, entry.slot) == ("cancelled", None)
    assert waiting.status == Entry.Status.CONFIRMED


def test_cancel_twice_is_an_error_message(client, owner):
    entry = EntryFactory(car=VerifiedCarFactory(owner=owner))
    client.force_login(owner)
    client.post(reverse("events:entry_cancel", args=[entry.pk]), follow=True)

    response = client.post(reverse("events:entry_cancel", args=[entry.pk]))

    assert messages_of(response) == ["This entry is already cancelled."]


def test_entry_of_a_session_that_is_over_offers_no_cancel_and_refuses_one(client, owner):
    ended = timezone.now() - datetime.timedelta(days=1)
    entry = EntryFactory(
        car=VerifiedCarFactory(owner=owner),
        session__event__starts_on=ended.date(),
        session__starts_at=ended - datetime.timedelta(hours=1),
        session__ends_at=ended,
        slot=1,
    )
    client.force_login(owner)
    cancel_url = reverse("events:entry_cancel", args=[entry.pk])

    listed = client.get(reverse("events:my_entries"))
    asked = client.get(cancel_url)
    posted = client.post(cancel_url)

    assert list(listed.context["entries"]) == [entry]
    assert cancel_url not in listed.content.decode()
    assert "Yes, cancel my entry" not in asked.content.decode()
    assert "This session is over: its entries can no longer be cancelled." in asked.content.decode()
    assert messages_of(posted) == ["This session is over: its entries can no longer be cancelled."]
    entry.refresh_from_db()
    assert (entry.status, entry.slot) == (Entry.Status.CONFIRMED, 1)


def test_cancel_other_users_entry_is_404(client, owner, other_owner):
    entry = EntryFactory(car=VerifiedCarFactory(owner=other_owner))
    client.force_login(owner)

    get_response = client.get(reverse("events:entry_cancel", args=[entry.pk]))
    post_response = client.post(reverse("events:entry_cancel", args=[entry.pk]))

    assert (get_response.status_code, post_response.status_code) == (404, 404)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED


def test_cancel_anonymous_goes_to_login(client):
    entry = EntryFactory()

    response = client.post(reverse("events:entry_cancel", args=[entry.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CONFIRMED


def test_car_history_include_lists_events_with_roster_links(owner):
    car = VerifiedCarFactory(owner=owner)
    published = EntryFactory(car=car, session__event__roster_published=True, session__event__name="Ring 2031")
    hidden = EntryFactory(car=car, session__event__name="Ring 2032")
    history = Entry.objects.car_history(car)

    html = render_to_string("events/includes/car_history.html", {"event_history": history})

    assert "Ring 2031" in html
    assert "Ring 2032" in html
    assert reverse("events:roster", args=[published.session.event.slug]) in html
    assert reverse("events:roster", args=[hidden.session.event.slug]) not in html
    assert str(published.session.starts_at.year) in html


@pytest.mark.parametrize(
    ("viewer", "sees_unpublished"),
    [("anonymous", False), ("other", False), ("owner", True), ("organiser", True), ("registrar", True)],
)
def test_car_page_event_history_shows_unpublished_rosters_only_to_the_owner_and_staff(
    client, viewer, sees_unpublished, owner, other_owner, organiser, registrar
):
    car = VerifiedCarFactory(owner=owner)
    EntryFactory(car=car, session__event__roster_published=True, session__event__name="Ring 2031")
    EntryFactory(car=car, session__event__name="Ring 2032 (roster not published)", session__name="Secret run")
    users = {"anonymous": None, "other": other_owner, "owner": owner, "organiser": organiser, "registrar": registrar}
    if users[viewer] is not None:
        client.force_login(users[viewer])

    html = client.get(car.get_absolute_url()).content.decode()

    assert "Ring 2031" in html
    assert ("Ring 2032" in html, "Secret run" in html) == (sees_unpublished, sees_unpublished)


def test_my_entries_lists_upcoming_entries_of_the_owners_cars_and_the_owner_cancels_them(client, owner, other_owner):
    # A car of the owner, driven by someone else (a friend drives it).
    car = VerifiedCarFactory(owner=owner)
    entry = EntryFactory(car=car, driver=other_owner, session__name="Their convoy")
    client.force_login(owner)

    listed = client.get(reverse("events:my_entries"))
    cancelled = client.post(reverse("events:entry_cancel", args=[entry.pk]))

    assert list(listed.context["entries"]) == [entry]
    assert "Their convoy" in listed.content.decode()
    assert cancelled["Location"] == reverse("events:my_entries")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.CANCELLED
