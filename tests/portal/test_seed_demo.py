from __future__ import annotations

import datetime
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from events.models import AttentionNote, EmergencyContact, Entry, Event, PendingNotice, Session
from outbox.models import Message
from portal import demo_data
from register.models import Car, CarPhoto, Ownership, User
from register.services import vin_check


def counts() -> dict[str, int]:
    models = (
        User,
        Car,
        Ownership,
        CarPhoto,
        Event,
        Session,
        Entry,
        Entry.history.model,
        EmailAddress,
        Group,
        Message,
        PendingNotice,
        EmergencyContact,
        AttentionNote,
    )
    return {model.__name__: model.objects.count() for model in models}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """One seed run for the whole module (it takes seconds), rolled back at the end like setUpTestData."""
    fast_and_debug = override_settings(
        DEBUG=True,
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        # The four demo logins hash a password each; a fast hasher keeps this quick.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Mail goes through the outbox as under `make run` (the autouse fixture that says so is per test).
        EMAIL_BACKEND="outbox.backends.QueueBackend",
    )
    with fast_and_debug, django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def seeded_db(seeded, db):
    # Each test runs in a savepoint inside the module's transaction: its changes are undone.
    return seeded


def test_seed_demo_first_run_reports_what_it_created(seeded_db):
    assert "Created 132 cars." in seeded_db
    assert "Created 120 owners." in seeded_db
    assert "admin@example.org" in seeded_db
    assert "demo-1M-register" in seeded_db


def test_seed_demo_mails_nobody_and_leaves_no_notice(seeded_db):
    # The 2025 convoy is ordered by colour after its roster was published, but that gathering is over: no
    # "your place has changed" for 105 drivers ten minutes after `make run`, and no sign-up confirmation.
    assert (Message.objects.count(), PendingNotice.objects.count()) == (0, 0)


def test_seed_demo_second_run_changes_nothing(seeded_db):
    first = counts()
    register_numbers = list(Car.objects.order_by("vin").values_list("vin", "register_number"))

    output = seed()

    assert counts() == first
    assert list(Car.objects.order_by("vin").values_list("vin", "register_number")) == register_numbers
    assert "Demo data already present; nothing to do." in output


def test_seed_demo_creates_the_story(seeded_db):
    assert (
        User.objects.filter(email__endswith="@example.org").count()
        + User.objects.filter(email__endswith="@example.com").count()
        == User.objects.count()
    )
    assert User.objects.count() == 124
    assert Car.objects.count() == 132
    assert Car.objects.filter(status=Car.Status.PENDING).count() == 9
    assert CarPhoto.objects.count() == 30
    assert CarPhoto.objects.filter(is_main=True).count() == 30


def test_seed_demo_about_40_percent_of_owners_show_their_name(seeded_db):
    synthetic = User.objects.filter(is_staff=False).exclude(email=demo_data.OWNER_EMAIL)

    assert synthetic.count() == 120
    assert synthetic.filter(show_name_publicly=True).count() == 48


def test_seed_demo_every_vin_passes_vin_check(seeded_db):
    cars = list(Car.objects.all())

    results = {car.vin: vin_check(car.vin, market=str(car.market)) for car in cars}

    assert [vin for vin, result in results.items() if not result.is_valid or result.check_digit_flag] == []
    assert len(cars) == 132


def test_seed_demo_vin_patterns_follow_the_market(seeded_db):
    for car in Car.objects.all():
        market = str(car.market)
        if market in ("US", "CA"):
            assert (car.vin[6], car.vin[9]) == ("C", "B"), car.vin
        elif market == "AU":
            assert (car.vin[:7], car.vin[9]) == ("WBSUR92", "0"), car.vin
        elif market in ("GB", "ZA"):
            assert car.vin[:7] == "WBSUR92" and car.vin[9] in "BC", car.vin
        else:
            assert car.vin[:7] == "WBSUR91" and car.vin[9] in "BC", car.vin


def test_seed_demo_cars_carry_no_vin_flags(seeded_db):
    assert list(Car.objects.exclude(vin_flags="").values_list("vin", "market", "vin_flags")) == []


def test_seed_demo_verified_cars_have_sequence_numbers(seeded_db):
    numbers = list(Car.objects.verified().values_list("register_number", flat=True))

    assert len(numbers) == 123
    assert None not in numbers
    assert len(set(numbers)) == 123


def test_seed_demo_colour_ranking_orange_white_black(seeded_db):
    orange = Car.objects.filter(colour__name=demo_data.ORANGE).count()
    white = Car.objects.filter(colour__name=demo_data.WHITE).count()
    black = Car.objects.filter(colour__name=demo_data.BLACK).count()

    assert orange > white > black > 2
    assert Car.objects.filter(colour__name=demo_data.MONTE_CARLO).count() == 2


def test_seed_demo_exactly_one_green_mamba(seeded_db):
    mambas = list(Car.objects.filter(nickname="Green Mamba"))

    assert len(mambas) == 1
    assert mambas[0].colour.name == "Java Green"
    assert mambas[0].colour_note == "BMW Individual"
    assert str(mambas[0].market) == "DE"
    assert Car.objects.filter(colour__name="Java Green").count() == 1


def test_seed_demo_2025_convoy_has_105_confirmed_in_slots_by_colour(seeded_db):
    session = Session.objects.get(event__slug="gathering-2025", slug="nordschleife-convoy")
    entries = list(Entry.objects.filter(session=session).select_related("car__colour").order_by("slot"))

    assert session.capacity == 105
    assert session.pace_car == "BMW 2002 turbo"
    assert session.laps == 2
    assert session.starts_at.date() == datetime.date(2025, 9, 20)
    assert [e.slot for e in entries] == list(range(1, 106))
    assert {e.status for e in entries} == {Entry.Status.CONFIRMED}
    assert len({e.driver_id for e in entries}) == 105
    assert all(e.driver_id == e.car.owner_id for e in entries)
    colours = [e.car.colour.name for e in entries]
    # Grouped: each colour appears in one consecutive run, the largest (orange) first.
    runs = [c for i, c in enumerate(colours) if i == 0 or colours[i - 1] != c]
    assert len(runs) == len(set(runs))
    assert runs[0] == demo_data.ORANGE
    assert "Green Mamba" in {e.car.nickname for e in entries}


def test_seed_demo_2025_has_105_cars_in_all_and_sunday_among_them(seeded_db, client):
    event = Event.objects.get(slug="gathering-2025")
    convoy = set(
        Entry.objects.filter(session__event=event, session__slug="nordschleife-convoy").values_list("car", flat=True)
    )
    sunday = set(
        Entry.objects.filter(session__event=event, session__slug="gp-wet-session").values_list("car", flat=True)
    )

    response = client.get(reverse("events:roster", args=[event.slug]))

    assert (len(convoy), len(sunday)) == (105, 55)
    assert sunday <= convoy
    assert "105 cars present" in response.content.decode()


def test_seed_demo_2025_event_is_closed_and_published(seeded_db):
    event = Event.objects.get(slug="gathering-2025")
    gp = Session.objects.get(event=event, slug="gp-wet-session")

    assert (event.name, event.venue) == ("1M Register Annual Gathering 2025", "Nürburgring")
    assert (event.starts_on, event.ends_on) == (datetime.date(2025, 9, 19), datetime.date(2025, 9, 21))
    assert event.roster_published is True
    assert event.registration_is_open() is False
    assert (gp.kind, gp.track, gp.capacity) == (Session.Kind.TRACK, Session.Track.GP, 55)
    assert gp.requirements == "Helmet and a valid driving licence; wet-weather tyres recommended."
    assert sorted(Entry.objects.confirmed().filter(session=gp).values_list("slot", flat=True)) == list(range(1, 56))
    assert Entry.objects.filter(session=gp).values("driver").distinct().count() == 55


def test_seed_demo_next_gathering_is_open_with_three_places_left(seeded_db):
    event = Event.objects.exclude(slug="gathering-2025").get()
    convoy = Session.objects.with_counts().get(event=event, slug="nordschleife-convoy")
    demo_owner = User.objects.get(email=demo_data.OWNER_EMAIL)

    assert event.registration_is_open() is True
    assert event.starts_on.weekday() == 4
    assert (event.ends_on - event.starts_on).days == 2
    assert convoy.capacity == 12
    assert convoy.confirmed_count == 9
    assert convoy.places_left == 3
    assert sorted(Entry.objects.filter(session=convoy).values_list("slot", flat=True)) == list(range(1, 10))
    assert Session.objects.filter(event=event, slug="gp-session", capacity=55).count() == 1
    assert Entry.objects.filter(driver=demo_owner).count() == 0


def test_seed_demo_gives_the_next_convoy_emergency_contacts_and_an_attention_note(seeded_db, client):
    event = Event.objects.exclude(slug="gathering-2025").get()
    contacts = EmergencyContact.objects.filter(entry__session__event=event).order_by("entry__slot")
    [note] = AttentionNote.objects.all()

    assert [(c.entry.slot, c.name) for c in contacts] == [(1, "Maria K."), (2, "Tom B."), (3, "Léa M.")]
    assert all(c.phone.is_valid() for c in contacts)
    assert (note.entry.slot, note.entry.session.event) == (1, event)
    assert "Created 3 emergency contacts." in seeded_db
    client.force_login(User.objects.get(email=demo_data.ORGANISER_EMAIL))
    gate = client.get(reverse("events:check_in", args=[event.slug]) + f"?entry={note.entry_id}").content.decode()
    assert demo_data.ATTENTION_NOTE in gate and "+49 171 3920001" in gate


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 11, 26), (2027, datetime.date(2027, 9, 17))),
        (datetime.date(2026, 7, 31), (2026, datetime.date(2026, 9, 18))),
        (datetime.date(2026, 8, 1), (2027, datetime.date(2027, 9, 17))),
        (datetime.date(2025, 1, 10), (2025, datetime.date(2025, 9, 19))),
    ],
)
def test_next_gathering_year_and_third_weekend(today, expected):
    year = demo_data.next_gathering_year(today)

    assert (year, demo_data.third_weekend_of_september(year)[0]) == expected


@pytest.mark.parametrize(
    "email", [demo_data.ADMIN_EMAIL, demo_data.ORGANISER_EMAIL, demo_data.REGISTRAR_EMAIL, demo_data.OWNER_EMAIL]
)
def test_seed_demo_demo_logins_can_log_in(seeded_db, client, email):
    # Through the real login form (allauth, with django-axes in front), not a test shortcut.
    response = client.post(reverse("account_login"), {"login": email, "password": "demo-1M-register"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


def test_seed_demo_roles_and_demo_owner_cars(seeded_db):
    admin = User.objects.get(email=demo_data.ADMIN_EMAIL)
    organiser = User.objects.get(email=demo_data.ORGANISER_EMAIL)
    registrar = User.objects.get(email=demo_data.REGISTRAR_EMAIL)
    owner = User.objects.get(email=demo_data.OWNER_EMAIL)

    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert (organiser.is_staff, organiser.is_superuser) == (True, False)
    assert list(organiser.groups.values_list("name", flat=True)) == ["Organisers"]
    assert (registrar.is_staff, registrar.is_superuser) == (True, False)
    assert list(registrar.groups.values_list("name", flat=True)) == ["Registrars"]
    assert (owner.is_staff, owner.is_superuser) == (False, False)
    assert sorted(owner.cars.values_list("status", flat=True)) == [Car.Status.PENDING, Car.Status.VERIFIED]


def test_seed_demo_synthetic_owners_cannot_log_in(seeded_db):
    synthetic = User.objects.filter(is_staff=False).exclude(email=demo_data.OWNER_EMAIL)

    assert [u.email for u in synthetic if u.has_usable_password()] == []


def test_seed_demo_refuses_without_debug(seeded_db, settings):
    settings.DEBUG = False
    before = counts()

    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())

    assert counts() == before


def test_seed_demo_every_entry_has_a_history_from_its_sign_up(seeded_db):
    signed_up = dict(Entry.objects.values_list("pk", "created"))

    first = {r.id: r for r in Entry.history.filter(history_type="+")}

    assert set(first) == set(signed_up)
    written_directly = [r for r in first.values() if r.history_change_reason == demo_data.ENTRY_REASON]
    assert written_directly
    assert all(r.history_date == signed_up[r.id] for r in written_directly)
    assert {r.history_change_reason for r in first.values()} <= {demo_data.ENTRY_REASON, "sign-up"}


def test_seed_demo_next_gathering_has_a_paid_session_whose_entries_have_paid(seeded_db, client):
    [paid] = Session.objects.filter(fee__gt=0)
    assert paid.event.starts_on > datetime.date(2025, 12, 31)
    entries = list(paid.entries.all())
    assert entries and all(e.paid_at and e.amount_due == paid.fee and e.payment_reference for e in entries)
    assert all(e.status == Entry.Status.CONFIRMED for e in entries)

    page = client.get(reverse("events:detail", args=[paid.event.slug])).content.decode()
    assert "€45.00" in page


def test_seed_demo_publishes_the_next_gatherings_declaration_once(seeded_db):
    from events.models import DeclarationVersion

    event = Event.objects.upcoming().get()
    version = DeclarationVersion.objects.get(declaration__event=event)

    seed()

    assert DeclarationVersion.objects.filter(declaration__event=event).get() == version
    assert version.number == 1 and "eigene Gefahr" in version.driver_text_de and version.passenger_text_en
    assert set(event.sessions.values_list("declaration_required", flat=True)) == {True}
