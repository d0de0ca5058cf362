"""The published roster: HTML page, JSON, CSV and the calendar."""

from __future__ import annotations

import csv
import datetime
import io
import re
from urllib.parse import quote

import icalendar
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Entry
from register.models import Car, CarPhoto, Colour, RegisteredModel, User
from register.services import car_unverify
from tests.factories import (
    EntryFactory,
    EventFactory,
    SessionFactory,
    UserFactory,
    VerifiedCarFactory,
    colour,
    make_vin,
)

pytestmark = pytest.mark.django_db

BERLIN = datetime.timezone(datetime.timedelta(hours=2))


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="organiser@example.org", is_staff=True))
    return client


@pytest.fixture
def roster_event():
    """A published event that shows check-ins: one convoy with three cars in a known slot order."""
    event = EventFactory(
        name="Ring 2031",
        slug="ring-2031",
        venue="Nürburgring",
        starts_on=datetime.date(2031, 9, 19),
        ends_on=datetime.date(2031, 9, 21),
        roster_published=True,
        show_check_ins=True,
    )
    session = SessionFactory(
        event=event,
        name="Saturday convoy",
        slug="saturday-convoy",
        starts_at=datetime.datetime(2031, 9, 20, 9, 0, tzinfo=BERLIN),
        ends_at=datetime.datetime(2031, 9, 20, 10, 0, tzinfo=BERLIN),
        capacity=105,
        pace_car="BMW 2002 turbo",
    )
    shy = UserFactory(email="shy@example.org", display_name="Silent Sam", show_name_publicly=False)
    open_ = UserFactory(email="open@example.org", display_name="Anna Open", show_name_publicly=True)
    third = UserFactory(email="third@example.org", display_name="Tina Third", show_name_publicly=True)
    white = VerifiedCarFactory(
        owner=shy, vin=make_vin(900001), colour=colour("Alpine White"), market="GB", register_number=12
    )
    orange = VerifiedCarFactory(owner=open_, vin=make_vin(900002), market="DE", register_number=7, nickname="Kürbis")
    pending = Car.objects.create(
        owner=third, vin=make_vin(900003), colour=colour("Black Sapphire Metallic"), market="US"
    )
    first = EntryFactory(session=session, car=orange, slot=1, checked_in_at=timezone.now())
    second = EntryFactory(session=session, car=white, slot=2)
    third_entry = EntryFactory(session=session, car=pending, slot=3)
    EntryFactory(session=session, status=Entry.Status.WAITLISTED, slot=None)
    EntryFactory(session=session, status=Entry.Status.CANCELLED, slot=None, car__nickname="Gone Car")
    return {
        "event": event,
        "session": session,
        "entries": [first, second, third_entry],
        "cars": [orange, white, pending],
    }


def roster_url(event, name="events:roster"):
    return reverse(name, args=[event.slug])


# --- access -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events:roster", "events:roster_json", "events:roster_csv"])
def test_roster_unpublished_is_404_for_anonymous_and_owners(client, owner, name):
    event = EventFactory(roster_published=False)
    EntryFactory(session__event=event)

    anonymous = client.get(roster_url(event, name))
    client.force_login(owner)
    logged_in = client.get(roster_url(event, name))

    assert (anonymous.status_code, logged_in.status_code) == (404, 404)


def test_calendar_is_public_before_the_roster_is_published(client):
    session = SessionFactory(event__roster_published=False)

    response = client.get(roster_url(session.event, "events:calendar"))

    assert response.status_code == 200


def test_calendar_unknown_event_is_404(client):
    assert client.get(reverse("events:calendar", args=["nope"])).status_code == 404


def test_roster_staff_preview_has_banner(staff_client):
    session = SessionFactory(event__roster_published=False)
    EntryFactory(session=session)

    response = staff_client.get(roster_url(session.event))

    assert response.status_code == 200
    assert "Preview — not published" in response.content.decode()


def test_roster_staff_preview_of_json(staff_client):
    session = SessionFactory(event__roster_published=False)

    response = staff_client.get(roster_url(session.event, "events:roster_json"))

    assert response.status_code == 200


def test_roster_published_has_no_preview_banner(client, roster_event):
    response = client.get(roster_url(roster_event["event"]))

    assert response.status_code == 200
    assert "Preview — not published" not in response.content.decode()


# --- HTML content -----------------------------------------------------------------------------------------------


def test_roster_lists_cars_in_slot_order_with_masked_vins(client, roster_event):
    orange, white, pending = roster_event["cars"]

    response = client.get(roster_url(roster_event["event"]))

    html = response.content.decode()
    shown = response.context["roster"].sessions[0].shown
    assert [e.car for e in shown] == [orange, white, pending]
    assert html.index(orange.vin_masked) < html.index(white.vin_masked) < html.index(pending.vin_masked)
    for car in roster_event["cars"]:
        assert car.vin not in html
    assert "Kürbis" in html
    assert "Gone Car" not in html
    assert "pending" in html
    assert reverse("car_detail", args=[7]) in html
    assert "United Kingdom" in html


def test_roster_never_shows_emails_and_names_only_with_consent(client, roster_event):
    response = client.get(roster_url(roster_event["event"]))

    html = response.content.decode()
    assert "@example.org" not in html
    assert "Anna Open" in html
    assert "Tina Third" in html
    assert "Silent Sam" not in html
    assert html.count("Registered owner") == 1


def test_roster_draws_the_convoy_with_pace_car_first(client, roster_event):
    first, second, third = roster_event["entries"]

    response = client.get(roster_url(roster_event["event"]))

    html = response.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    names = [
        "Pace car: BMW 2002 turbo",
        "<title>Slot 1, #7, “Kürbis”, Valencia Orange Metallic</title>",
        "<title>Slot 2, #12, Alpine White</title>",
        "<title>Slot 3, pending, Black Sapphire Metallic</title>",
    ]
    assert [svg.index(n) for n in names] == sorted(svg.index(n) for n in names)
    # Each car is a link to its row (focusable, and it works without JavaScript) and carries its slot number.
    for slot, entry in enumerate((first, second, third), start=1):
        assert f'<a href="#entry-{entry.pk}" data-colour="{entry.car.colour_id}"><title>' in svg
        assert f">{slot}</text></a>" in svg
        assert f'<tr data-colour="{entry.car.colour_id}" id="entry-{entry.pk}"' in html
    assert 'fill="#E2611B"' in svg
    assert 'role="group"' in svg
    assert '<desc id="convoy-desc-' in svg


def test_a_car_set_back_to_pending_shows_as_pending_everywhere_on_the_roster(client, roster_event):
    # car_unverify keeps the register number with the car, but the public pages only name verified cars by
    # it (the car's own page is a 404): the list says "pending", so must the picture, the exports and find.
    white = roster_event["cars"][1]
    car_unverify(car=white)
    event = roster_event["event"]

    html = client.get(roster_url(event)).content.decode()
    exported = client.get(roster_url(event, "events:roster_json")).json()
    rows = list(
        csv.DictReader(io.StringIO(client.get(roster_url(event, "events:roster_csv")).content.decode("utf-8-sig")))
    )
    found = client.get(roster_url(event), {"find": "12"})

    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "<title>Slot 2, pending, Alpine White</title>" in svg
    assert "#12" not in html
    assert [e["register_number"] for e in exported["sessions"][0]["entries"]] == [7, None, None]
    assert [r["register_number"] for r in rows] == ["7", "", ""]
    assert found.status_code == 200
    assert found.context["find_form"].errors["find"] == [
        "No car with the register number or nickname “12” in this roster."
    ]


def test_convoy_slot_numbers_contrast_with_the_paint():
    from events.roster import _text_colour

    assert [_text_colour(c) for c in ("#FFFFFF", "#F3F3F1", "#E2611B", "#0B0B0D", "#1C2F5C")] == [
        "#000",
        "#000",
        "#000",
        "#fff",
        "#fff",
    ]


def test_convoy_picture_has_room_for_every_row(client, roster_event):
    response = client.get(roster_url(roster_event["event"]))

    convoy = response.context["roster"].sessions[0].convoy
    # Pace car (3 cells) and 3 cars: one row; the view box includes the outlines' margin on every side.
    assert convoy["view_box"] == "-2 -2 458 36"
    bottom = max(item["y"] for item in convoy["cars"]) + convoy["cell_h"]
    assert bottom <= convoy["height"] - 2


def test_roster_colour_filter_marks_the_colour_in_the_picture(client, roster_event):
    first, second, third = roster_event["entries"]

    response = client.get(roster_url(roster_event["event"]), {"colour": second.car.colour_id})

    svg = response.content.decode().split("<svg")[1]
    assert f'<a href="#entry-{second.pk}" class="is-match"' in svg
    assert f'<a href="#entry-{first.pk}" class="is-dimmed"' in svg
    assert f'<a href="#entry-{third.pk}" class="is-dimmed"' in svg


@pytest.mark.parametrize(
    ("text", "index"), [("12", 1), ("#7", 0), ("  kürbis ", 0), ("KÜRBIS", 0)], ids=["number", "hash", "nick", "case"]
)
def test_find_my_car_sends_the_reader_to_its_row(client, roster_event, text, index):
    entry = roster_event["entries"][index]

    response = client.get(roster_url(roster_event["event"]), {"find": text})

    assert response.status_code == 302
    assert response["Location"] == f"{roster_url(roster_event['event'])}#entry-{entry.pk}"


@pytest.mark.parametrize("text", ["99", "Nobody", "1 OR 1=1", "x" * 81])
def test_find_my_car_unknown_says_so_next_to_the_field(client, roster_event, text):
    response = client.get(roster_url(roster_event["event"]), {"find": text})

    assert response.status_code == 200
    errors = response.context["find_form"].errors["find"]
    assert errors == (
        [f"No car with the register number or nickname “{text}” in this roster."]
        if len(text) <= 80
        else ["Ensure this value has at most 80 characters (it has 81)."]
    )
    assert 'id="error_1_id_find"' in response.content.decode()


def test_large_session_is_paged_and_find_goes_to_the_right_page(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 500)  # two sessions of 250
    session = event.sessions.order_by("starts_at", "pk").first()
    entries = list(session.entries.in_slot_order())
    url = roster_url(event)

    first_page = client.get(url)
    third_page = client.get(url, {"session": session.slug, "page": 3})
    found = client.get(url, {"find": str(entries[234].car.register_number)})

    assert [len(sr.shown) for sr in first_page.context["roster"].sessions] == [100, 100]
    html = first_page.content.decode()
    assert html.count("<tr data-colour=") == 200
    assert f'href="?session={session.slug}&amp;page=3"' in html
    assert "Cars 1 to 100 of 250, in slot order." in html
    assert [e.pk for e in third_page.context["roster"].sessions[0].shown] == [e.pk for e in entries[200:]]
    assert len(third_page.context["roster"].sessions) == 1
    # A page of one session leads back to all sessions through the breadcrumb.
    back = f'<li class="breadcrumb-item"><a href="{url}">Roster</a></li>'
    assert back in third_page.content.decode()
    assert back not in html
    assert found["Location"] == f"{url}?session={session.slug}&page=3#entry-{entries[234].pk}"
    # The picture is the whole convoy on every page, pace car first.
    third_svg = third_page.content.decode().split("<svg")[1].split("</svg>")[0]
    assert "Pace car" in third_svg
    assert third_svg.count("<title>Slot ") == 250


def picture_labels(html: str) -> list[str]:
    """The slot numbers written on the cars of the page's first convoy picture."""
    svg = html[html.index("<svg") : html.index("</svg>")]
    return re.findall(r'fill="#(?:000|fff)">([^<]*)</text></a>', svg)


def test_convoy_picture_shows_the_whole_convoy_on_every_page_of_the_list(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 210)  # two sessions of 105
    session = event.sessions.order_by("starts_at", "pk").first()
    entries = list(session.entries.in_slot_order())
    url = roster_url(event)

    page_one = client.get(url).content.decode()
    page_two = client.get(url, {"session": session.slug, "page": 2}).content.decode()

    for html in (page_one, page_two):
        assert picture_labels(html) == [str(slot) for slot in range(1, 106)]
        assert f"Convoy order of {session.name}: 105 cars</title>" in html
    # Page 1 lists cars 1 to 100, page 2 the last five: each car in the picture links to its row, on the
    # page that lists it.
    assert page_one.count('<tr data-colour="') == 200
    assert page_two.count('<tr data-colour="') == 5
    assert f'<a href="#entry-{entries[0].pk}"' in page_one
    assert f'<a href="?session={session.slug}&amp;page=2#entry-{entries[100].pk}"' in page_one
    assert f'<a href="?session={session.slug}&amp;page=1#entry-{entries[0].pk}"' in page_two
    assert f'<a href="#entry-{entries[104].pk}"' in page_two


def test_colour_filter_on_a_page_of_a_session_stays_on_that_page(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 500)  # two sessions of 250, colours in turn
    session = event.sessions.order_by("starts_at", "pk").first()
    entries = list(session.entries.in_slot_order().select_related("car"))
    white = colour("Alpine White")
    url = roster_url(event)

    page_two = client.get(url, {"session": session.slug, "page": 2})
    filtered = client.get(url, {"session": session.slug, "page": 2, "colour": white.pk})

    hidden = f'<input type="hidden" name="session" value="{session.slug}"><input type="hidden" name="page" value="2">'
    assert hidden in page_two.content.decode()
    shown = filtered.context["roster"].sessions[0].shown
    assert [e.pk for e in shown] == [e.pk for e in entries[100:200] if e.car.colour_id == white.pk]
    assert len(shown) > 30


@pytest.mark.parametrize(
    "query",
    [
        {"session": "nope"},
        {"session": "{slug}", "page": "4"},
        {"session": "{slug}", "page": "0"},
        {"session": "{slug}", "page": "x", "colour": "1"},
        {"session": "bad slug!", "colour": "1"},
    ],
)
def test_unknown_session_or_page_is_404(client, query):
    event = EventFactory(roster_published=True)
    build_entries(event, 500)
    slug = event.sessions.order_by("pk").first().slug

    response = client.get(roster_url(event), {k: v.format(slug=slug) for k, v in query.items()})

    assert response.status_code == 404


# "²" and "³" count as digits to str.isdigit() but int() refuses them.
@pytest.mark.parametrize(
    "query",
    [{"page": "²"}, {"session": "saturday-convoy", "page": "²"}, {"colour": "1", "page": "³"}],
    ids=["page", "session-page", "colour-page"],
)
def test_roster_page_number_that_is_not_a_number_is_404(client, roster_event, query):
    response = client.get(roster_url(roster_event["event"]), query)

    assert response.status_code == 404


@pytest.mark.parametrize("text", ["²", "#³"])
def test_find_my_car_with_a_superscript_digit_says_not_found(client, roster_event, text):
    response = client.get(roster_url(roster_event["event"]), {"find": text})

    assert response.status_code == 200
    assert response.context["find_form"].errors["find"] == [
        f"No car with the register number or nickname “{text}” in this roster."
    ]


def test_roster_shows_colour_breakdown_share_of_built_and_register_comparison(client, roster_event):
    VerifiedCarFactory.create_batch(2, colour=colour("Alpine White"))
    built = RegisteredModel.current().built_total

    response = client.get(roster_url(roster_event["event"]))

    roster = response.context["roster"]
    html = response.content.decode()
    # Three confirmed cars; the waitlisted and cancelled ones are not present.
    assert roster.distinct_cars == 3
    assert roster.share_percent == round(3 * 100 / built, 1)
    assert f"That is {roster.share_percent:.1f} % of the {built:,} cars built." in html
    breakdown = {b.colour.name: (b.count, b.percent) for b in roster.sessions[0].breakdown}
    assert breakdown == {
        "Valencia Orange Metallic": (1, 33.3),
        "Alpine White": (1, 33.3),
        "Black Sapphire Metallic": (1, 33.3),
    }
    # Register: verified cars only, including the waitlisted and cancelled entries' verified cars.
    verified = Car.objects.verified()
    comparison = {c.colour.name: (c.event_count, c.register_count) for c in roster.comparison}
    assert comparison == {
        "Valencia Orange Metallic": (1, verified.filter(colour__name="Valencia Orange Metallic").count()),
        "Alpine White": (1, 3),
        "Black Sapphire Metallic": (1, 0),
    }
    # A share keeps its per cent sign: on a phone "55 (44,7 %)" broke before the "%)".
    assert "Alpine White: 1 (33.3&nbsp;%)" in html
    assert '<td class="text-end">1 (33.3&nbsp;%)</td>' in html
    assert " %)" not in html


def test_roster_colour_filter_without_javascript(client, roster_event):
    orange, white, _pending = roster_event["cars"]

    response = client.get(roster_url(roster_event["event"]), {"colour": white.colour_id})

    html = response.content.decode()
    assert [e.car for e in response.context["roster"].sessions[0].shown] == [white]
    assert white.vin_masked in html
    assert orange.vin_masked not in html.split('<table class="table table-sm align-middle roster-table"')[1]


@pytest.mark.parametrize("value", ["abc", "999999", "1 OR 1=1"])
def test_roster_bad_colour_filter_shows_everything(client, roster_event, value):
    response = client.get(roster_url(roster_event["event"]), {"colour": value})

    assert response.status_code == 200
    assert len(response.context["roster"].sessions[0].shown) == 3


def test_roster_links_exports(client, roster_event):
    event = roster_event["event"]

    html = client.get(roster_url(event)).content.decode()

    for name in ("events:roster_csv", "events:roster_json", "events:calendar"):
        assert roster_url(event, name) in html


def test_roster_shows_main_photo_thumbnail(client, roster_event):
    orange = roster_event["cars"][0]
    CarPhoto.objects.create(
        car=orange, image="cars/a.jpg", display="cars/a-d.jpg", thumbnail="cars/a-t.jpg", is_main=True
    )
    CarPhoto.objects.create(car=orange, image="cars/b.jpg", display="cars/b-d.jpg", thumbnail="cars/b-t.jpg")

    html = client.get(roster_url(roster_event["event"])).content.decode()

    assert 'src="/media/cars/a-t.jpg"' in html
    assert "cars/b-t.jpg" not in html


# --- query count ----------------------------------------------------------------------------------------------------


def build_entries(event, count: int) -> None:
    """``count`` confirmed entries over two sessions, each car with a main photo, made in bulk."""
    sessions = [SessionFactory(event=event, capacity=count), SessionFactory(event=event, capacity=count)]
    users = User.objects.bulk_create(
        User(email=f"bulk{event.pk}-{i}@example.org", display_name=f"Bulk {i}", show_name_publicly=i % 2 == 0)
        for i in range(count)
    )
    colours = [colour("Valencia Orange Metallic"), colour("Alpine White"), colour("Black Sapphire Metallic")]
    cars = Car.objects.bulk_create(
        Car(
            vin=make_vin(500_000 + event.pk * 1000 + i),
            colour=colours[i % 3],
            market="DE",
            owner=users[i],
            status=Car.Status.VERIFIED,
            register_number=50_000 + event.pk * 1000 + i,
        )
        for i in range(count)
    )
    CarPhoto.objects.bulk_create(
        CarPhoto(
            car=car,
            image=f"cars/{car.pk}.jpg",
            display=f"cars/{car.pk}-d.jpg",
            thumbnail=f"cars/{car.pk}-t.jpg",
            is_main=True,
        )
        for car in cars
    )
    Entry.objects.bulk_create(
        Entry(
            session=sessions[i % 2],
            car=car,
            driver=car.owner,
            status=Entry.Status.CONFIRMED,
            slot=i // 2 + 1,
            checked_in_at=timezone.now() if i % 5 == 0 else None,
        )
        for i, car in enumerate(cars)
    )


def roster_queries(client, count: int) -> tuple[int, int]:
    event = EventFactory(roster_published=True)
    build_entries(event, count)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(roster_url(event))
    assert response.status_code == 200
    assert sum(len(sr.shown) for sr in response.context["roster"].sessions) == count
    return len(queries), response.content.decode().count("<tr data-colour=")


def test_roster_query_count_is_the_same_for_10_and_200_entries(client):
    small, small_rows = roster_queries(client, 10)
    large, large_rows = roster_queries(client, 200)

    assert (small_rows, large_rows) == (10, 200)
    assert small == large == 10


def test_roster_query_count_is_pinned(client, django_assert_num_queries):
    event = EventFactory(roster_published=True)
    build_entries(event, 30)

    # roster stamp (event, published, generation), event, sessions with counts, the page's entries, their
    # main photos, colours, colours per session, colours at the event, register colour counts, model facts
    with django_assert_num_queries(10):
        client.get(roster_url(event))


def without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def csrf_token_in(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()).group(1)


# Caching works on committed data (the generation is bumped at commit): these tests commit.


@pytest.mark.django_db(transaction=True)
def test_unchanged_roster_is_served_from_cache_with_one_query(client, django_assert_num_queries):
    event = EventFactory(roster_published=True)
    build_entries(event, 30)
    first = client.get(roster_url(event))

    # the roster stamp: event, published, generation
    with django_assert_num_queries(1):
        second = client.get(roster_url(event))

    assert second.status_code == 200
    assert without_csrf(second) == without_csrf(first)
    assert second.content.decode().count("<tr data-colour=") == 30


@pytest.mark.django_db(transaction=True)
def test_slot_change_shows_on_the_next_request(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 4)
    session = event.sessions.order_by("pk").first()
    first, second = session.entries.in_slot_order()
    client.get(roster_url(event))

    services.entry_set_slot(entry=first, slot=second.slot, by=None)
    html = client.get(roster_url(event)).content.decode()

    assert html.index(second.car.vin_masked) < html.index(first.car.vin_masked)


def _rename_session(entry):
    entry.session.name = "Renamed session"
    entry.session.save()
    return "Renamed session"


def _rename_event(entry):
    entry.session.event.name = "Renamed event"
    entry.session.event.save()
    return "Renamed event"


def _nickname(entry):
    Car.objects.filter(pk=entry.car_id).update(nickname="Brand-new nickname")
    return "Brand-new nickname"


def _colour_name(entry):
    Colour.objects.filter(pk=entry.car.colour_id).update(name="Renamed Colour")
    return "Renamed Colour"


def _driver_name(entry):
    user = entry.driver
    user.display_name, user.show_name_publicly = "Newly Shown Name", True
    user.save()
    return "Newly Shown Name"


def _check_in_by_sql(entry):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE events_entry SET checked_in_at = now(), slot = 777 WHERE id = %s", [entry.pk])
    return '<td class="slot">777</td>'


def _model_facts(entry):
    RegisteredModel.objects.update(built_for_customers=1000, built_internal=0)
    return "of the 1,000 cars built"


def _main_photo(entry):
    CarPhoto.objects.create(
        car=entry.car, image="cars/new.jpg", display="cars/new-d.jpg", thumbnail="cars/new-t.jpg", is_main=True
    )
    return "cars/new-t.jpg"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change",
    [
        _rename_session,
        _rename_event,
        _nickname,
        _colour_name,
        _driver_name,
        _check_in_by_sql,
        _model_facts,
        _main_photo,
    ],
)
def test_any_change_the_roster_shows_is_on_the_next_request(client, change):
    event = EventFactory(roster_published=True)
    SessionFactory(event=event, capacity=5)
    car = VerifiedCarFactory(owner=UserFactory(display_name="Old Name", show_name_publicly=False))
    entry = services.entry_create(session=event.sessions.get(), car=car, driver=car.owner)
    client.get(roster_url(event))
    client.get(roster_url(event))  # served from the cache

    shown = change(Entry.objects.select_related("session__event", "car__colour", "driver").get(pk=entry.pk))

    assert shown in client.get(roster_url(event)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_cached_roster_gives_every_logged_in_visitor_a_csrf_token_of_their_own():
    event = EventFactory(roster_published=True)
    build_entries(event, 3)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(UserFactory())
    second.force_login(UserFactory())
    first_page = first.get(roster_url(event))
    second_page = second.get(roster_url(event))  # from the cache
    tokens = [csrf_token_in(first_page), csrf_token_in(second_page)]

    # Each visitor's log-out form posts with the token of their own page; another token is refused.
    forged = first.post(reverse("account_logout"), {"csrfmiddlewaretoken": "x" * 64})
    answers = [
        c.post(reverse("account_logout"), {"csrfmiddlewaretoken": t})
        for c, t in zip((first, second), tokens, strict=True)
    ]

    assert tokens[0] != tokens[1]
    assert forged.status_code == 403
    assert [a.status_code for a in answers] == [302, 302]
    assert [c.session.get("_auth_user_id") for c in (first, second)] == [None, None]
    assert "csrf-token-of-this-request" not in second_page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_cached_roster_sets_no_cookie_for_a_visitor_who_only_reads():
    event = EventFactory(roster_published=True)
    build_entries(event, 3)
    Client().get(roster_url(event))

    response = Client().get(roster_url(event))  # from the cache

    assert response.status_code == 200
    assert response.cookies == {}
    assert "csrfmiddlewaretoken" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "then", "back_to"),
    [
        ({"session": "{slug}", "page": "000001"}, {"session": "{slug}"}, "?session={slug}&page=1"),
        ({"page": "31337"}, {}, ""),
    ],
    ids=["session-page", "page-without-session"],
)
def test_cached_roster_never_keeps_the_first_visitors_query_string(first, then, back_to):
    event = EventFactory(roster_published=True)
    build_entries(event, 3)
    slug = event.sessions.order_by("pk").first().slug
    Client().get(roster_url(event), {k: v.format(slug=slug) for k, v in first.items()})

    page = Client().get(roster_url(event), {k: v.format(slug=slug) for k, v in then.items()}).content.decode()

    assert "000001" not in page and "31337" not in page
    back = quote(roster_url(event) + back_to.format(slug=slug), safe="/")
    assert f'href="{reverse("language")}?next={back}"' in page


@pytest.mark.django_db(transaction=True)
def test_cached_roster_keeps_the_menu_of_each_kind_of_visitor():
    event = EventFactory(roster_published=True)
    build_entries(event, 3)
    staff, member, public = Client(), Client(), Client()
    staff.force_login(UserFactory(is_staff=True))
    member.force_login(UserFactory())
    pages = {
        name: c.get(roster_url(event)).content.decode()
        for name, c in [("staff", staff), ("member", member), ("public", public)]
    }
    again = {
        name: c.get(roster_url(event)).content.decode()
        for name, c in [("public", public), ("member", member), ("staff", staff)]
    }

    admin, garage, log_in = (
        f'href="{reverse("admin:index")}"',
        f'href="{reverse("register:garage")}"',
        f'href="{reverse("account_login")}"',
    )
    for page in (pages, again):
        assert admin in page["staff"] and garage in page["staff"]
        assert admin not in page["member"] and garage in page["member"]
        assert admin not in page["public"] and garage not in page["public"] and log_in in page["public"]


@pytest.mark.django_db(transaction=True)
def test_a_waiting_message_is_shown_on_the_cached_roster(client, owner):
    event = EventFactory(roster_published=True)
    build_entries(event, 3)
    client.force_login(owner)
    client.get(roster_url(event))
    entry = EntryFactory(session=event.sessions.first(), driver=owner, car=VerifiedCarFactory(owner=owner))

    # Cancelling leaves a message for the next page; this visitor goes straight to the roster.
    client.post(reverse("events:entry_cancel", args=[entry.pk]))
    page = client.get(roster_url(event)).content.decode()
    later = client.get(roster_url(event)).content.decode()

    assert "is cancelled" in page
    assert "is cancelled" not in later


@pytest.mark.django_db(transaction=True)
def test_roster_answers_304_to_a_matching_etag_until_the_roster_changes(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 4)
    etag = client.get(roster_url(event))["ETag"]

    unchanged = client.get(roster_url(event), HTTP_IF_NONE_MATCH=etag)
    entry = Entry.objects.filter(session__event=event, checked_in_at__isnull=True).order_by("pk").first()
    services.entry_check_in(entry=entry, by=None)
    changed = client.get(roster_url(event), HTTP_IF_NONE_MATCH=etag)

    assert unchanged.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_a_change_inside_the_current_transaction_shows_and_nothing_is_cached(client, django_assert_num_queries):
    # Everything here runs in one uncommitted transaction, as a request inside an atomic block would.
    event = EventFactory(roster_published=True)
    build_entries(event, 4)
    entry = Entry.objects.filter(session__event=event).order_by("pk").first()
    first = client.get(roster_url(event))
    Entry.objects.filter(pk=entry.pk).update(slot=4242)

    second = client.get(roster_url(event))

    assert "ETag" not in first
    assert '<td class="slot">4242</td>' in second.content.decode()


# --- JSON ---------------------------------------------------------------------------------------------------------


def test_roster_json_exact_structure_and_values(client, roster_event):
    orange, white, pending = roster_event["cars"]

    response = client.get(roster_url(roster_event["event"], "events:roster_json"))

    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "event": {
            "name": "Ring 2031",
            "slug": "ring-2031",
            "venue": "Nürburgring",
            "starts_on": "2031-09-19",
            "ends_on": "2031-09-21",
        },
        "sessions": [
            {
                "slug": "saturday-convoy",
                "name": "Saturday convoy",
                "kind": "convoy",
                "track": "nordschleife",
                "starts_at": "2031-09-20T09:00:00+02:00",
                "capacity": 105,
                "confirmed": 3,
                "waitlisted": 1,
                "entries": [
                    {
                        "slot": 1,
                        "register_number": 7,
                        "vin_masked": orange.vin_masked,
                        "colour": "Valencia Orange Metallic",
                        "paint_code": "",
                        "market": "DE",
                        "nickname": "Kürbis",
                        "driver": "Anna Open",
                        "checked_in": True,
                    },
                    {
                        "slot": 2,
                        "register_number": 12,
                        "vin_masked": white.vin_masked,
                        "colour": "Alpine White",
                        "paint_code": "300",
                        "market": "GB",
                        "nickname": "",
                        "driver": None,
                        "checked_in": False,
                    },
                    {
                        "slot": 3,
                        "register_number": None,
                        "vin_masked": pending.vin_masked,
                        "colour": "Black Sapphire Metallic",
                        "paint_code": "475",
                        "market": "US",
                        "nickname": "",
                        "driver": "Tina Third",
                        "checked_in": False,
                    },
                ],
            }
        ],
    }


def test_roster_json_has_no_email_or_full_vin(client, roster_event):
    body = client.get(roster_url(roster_event["event"], "events:roster_json")).content.decode()

    assert "@example.org" not in body
    for car in roster_event["cars"]:
        assert car.vin not in body


# --- CSV ------------------------------------------------------------------------------------------------------------


def test_roster_csv_header_and_rows(client, roster_event):
    orange, white, pending = roster_event["cars"]

    response = client.get(roster_url(roster_event["event"], "events:roster_csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ring-2031-roster.csv"'
    assert response.content.startswith(b"\xef\xbb\xbfsession_slug,session_name,")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "session_slug",
            "session_name",
            "slot",
            "register_number",
            "vin_masked",
            "colour",
            "paint_code",
            "market",
            "nickname",
            "driver",
            "checked_in",
        ],
        [
            "saturday-convoy",
            "Saturday convoy",
            "1",
            "7",
            orange.vin_masked,
            "Valencia Orange Metallic",
            "",
            "DE",
            "Kürbis",
            "Anna Open",
            "yes",
        ],
        ["saturday-convoy", "Saturday convoy", "2", "12", white.vin_masked, "Alpine White", "300", "GB", "", "", "no"],
        [
            "saturday-convoy",
            "Saturday convoy",
            "3",
            "",
            pending.vin_masked,
            "Black Sapphire Metallic",
            "475",
            "US",
            "",
            "Tina Third",
            "no",
        ],
    ]


def test_roster_csv_neutralises_spreadsheet_formulas(client, roster_event):
    orange = roster_event["cars"][0]
    Car.objects.filter(pk=orange.pk).update(nickname="=HYPERLINK(1)")

    response = client.get(roster_url(roster_event["event"], "events:roster_csv"))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][8] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    ("language", "query", "separator"),
    [
        ("en", "", ","),
        ("de", "", ";"),
        ("de", "?sep=comma", ","),
        ("en", "?sep=semicolon", ";"),
        ("de", "?sep=%00nonsense", ";"),
        ("en", "?sep=;", ","),
    ],
)
def test_roster_csv_separator_follows_the_language_unless_chosen(client, roster_event, language, query, separator):
    orange = roster_event["cars"][0]
    Car.objects.filter(pk=orange.pk).update(nickname="Kürbis; rot, schnell")
    url = roster_url(roster_event["event"], "events:roster_csv") + query

    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response.content.startswith(f"\ufeffsession_slug{separator}session_name{separator}".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=separator))
    assert rows[0][0] == "session_slug"  # the header stays English
    assert rows[1][8] == "Kürbis; rot, schnell"
    assert [len(row) for row in rows] == [11, 11, 11, 11]


def test_roster_page_offers_the_other_separator(client, roster_event):
    csv_url = roster_url(roster_event["event"], "events:roster_csv")

    english = client.get(roster_url(roster_event["event"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    german = client.get(roster_url(roster_event["event"]), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert f'href="{csv_url}?sep=semicolon">CSV with semicolons (German Excel)</a>' in english
    assert f'href="{csv_url}?sep=comma">CSV mit Kommas (englisches Excel)</a>' in german


# --- ICS ------------------------------------------------------------------------------------------------------------


def test_calendar_has_one_event_per_session_with_times_and_venue(client, roster_event):
    event = roster_event["event"]
    sunday = SessionFactory(
        event=event,
        name="Sunday GP",
        slug="sunday-gp",
        track="gp",
        starts_at=datetime.datetime(2031, 9, 21, 14, 0, tzinfo=BERLIN),
        ends_at=datetime.datetime(2031, 9, 21, 15, 0, tzinfo=BERLIN),
    )

    response = client.get(roster_url(event, "events:calendar"))
    again = client.get(roster_url(event, "events:calendar"))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 2
    assert [str(v["SUMMARY"]) for v in vevents] == ["Ring 2031: Saturday convoy", "Ring 2031: Sunday GP"]
    assert [v.decoded("DTSTART") for v in vevents] == [
        roster_event["session"].starts_at,
        sunday.starts_at,
    ]
    assert vevents[0].decoded("DTSTART").utcoffset() == datetime.timedelta(hours=2)
    assert vevents[0]["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert {str(v["LOCATION"]) for v in vevents} == {"Nürburgring"}
    assert "Pace car: BMW 2002 turbo" in str(vevents[0]["DESCRIPTION"])
    assert len(cal.walk("VTIMEZONE")) == 1
    uids = [str(v["UID"]) for v in vevents]
    assert len(set(uids)) == 2
    assert uids == [str(v["UID"]) for v in icalendar.Calendar.from_ical(again.content).walk("VEVENT")]


@pytest.mark.django_db(transaction=True)
def test_a_changing_roster_keeps_one_cached_page_not_one_per_change(client):
    event = EventFactory(roster_published=True)
    build_entries(event, 4)
    entry = Entry.objects.filter(session__event=event).order_by("pk").first()
    for slot in range(900, 905):
        Entry.objects.filter(pk=entry.pk).update(slot=slot)
        assert f'<td class="slot">{slot}</td>' in client.get(roster_url(event)).content.decode()

    # The default cache is per-process memory (LocMemCache); its keys show what is kept.
    assert len([k for k in cache._cache if ":page:roster-" in k]) == 1


@pytest.mark.django_db(transaction=True)
def test_a_page_of_a_large_session_is_cached_like_the_roster(client, django_assert_num_queries):
    event = EventFactory(roster_published=True)
    build_entries(event, 300)
    session = event.sessions.order_by("starts_at", "pk").first()
    query = {"session": session.slug, "page": 2}
    first = client.get(roster_url(event), query)

    # the roster stamp: event, published, generation
    with django_assert_num_queries(1):
        second = client.get(roster_url(event), query)

    assert without_csrf(second) == without_csrf(first)
    assert second.content.decode().count("<tr data-colour=") == 50
    assert second["ETag"] != client.get(roster_url(event))["ETag"]
