"""The home page: next gathering with places left, latest roster, the register's progress, cars verified
last; a fixed number of queries, cached under the roster generation like the roster."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from events.models import Entry
from register.models import Car, RegisteredModel
from register.photos import photo_add
from tests.factories import EntryFactory, EventFactory, SessionFactory, VerifiedCarFactory, colour

pytestmark = pytest.mark.django_db


def jpeg_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 100), (226, 97, 27)).save(buffer, "JPEG")
    return SimpleUploadedFile("car.jpg", buffer.getvalue(), "image/jpeg")


def make_world(cars: int = 3, events: int = 1) -> dict:
    today = timezone.localdate()
    past = EventFactory(
        name="Ring 2025",
        slug="ring-2025",
        starts_on=today - datetime.timedelta(days=40),
        ends_on=today - datetime.timedelta(days=38),
        roster_published=True,
    )
    convoy = SessionFactory(event=past, name="Past convoy", capacity=50)
    for slot in range(1, cars + 1):
        EntryFactory(session=convoy, car=VerifiedCarFactory(colour=colour("Alpine White")), slot=slot)
    upcoming = []
    for n in range(events):
        event = EventFactory(
            name=f"Ring {2031 + n}",
            slug=f"ring-{2031 + n}",
            starts_on=today + datetime.timedelta(days=30 + 100 * n),
            ends_on=today + datetime.timedelta(days=32 + 100 * n),
        )
        upcoming.append(event)
    nordschleife = SessionFactory(event=upcoming[0], name="Nordschleife convoy", capacity=10)
    SessionFactory(event=upcoming[0], name="GP circuit", capacity=4)
    EntryFactory.create_batch(3, session=nordschleife)
    # Takes no place (a waitlisted car would: a place freed while cars wait is theirs).
    EntryFactory(session=nordschleife, status=Entry.Status.CANCELLED, slot=None)
    return {"past": past, "next": upcoming[0]}


def test_home_shows_next_gathering_with_places_left_and_sign_up(client):
    world = make_world()

    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ring 2031" in html
    sessions = {s.name: s.places_left for s in response.context["next"].sessions}
    assert sessions == {"Nordschleife convoy": 7, "GP circuit": 4}
    assert "7 places left" in html and "4 places left" in html
    assert f'<a class="btn btn-primary" href="{world["next"].get_absolute_url()}">Sign up your car</a>' in html


def test_home_next_gathering_before_sign_up_opens_says_when(client):
    world = make_world()
    world["next"].registration_opens = timezone.now() + datetime.timedelta(days=3)
    world["next"].save()

    html = client.get("/").content.decode()

    assert "Sign-up opens" in html
    assert "Sign up your car" not in html


def test_home_shows_latest_roster_progress_and_recent_cars_with_photos(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = make_world(cars=3)
    newest = VerifiedCarFactory(nickname="Newest", verified_at=timezone.now() + datetime.timedelta(minutes=1))
    photo = photo_add(car=newest, upload=jpeg_upload())
    verified = Car.objects.verified().count()
    built = RegisteredModel.current().built_for_customers

    response = client.get("/")

    html = response.content.decode()
    assert built == 6309
    latest = response.context["latest"]
    assert (latest.event, latest.total, len(latest.cars)) == (world["past"], 3, 3)
    assert 'href="/events/ring-2025/roster/"' in html
    assert html.count("<rect ") == 3
    assert f"{verified} verified cars of 6,309 built" in html
    assert f'aria-valuenow="{verified}"' in html
    recent = response.context["recent_cars"]
    assert recent[0] == newest
    assert len(recent) == 6
    assert photo.thumbnail.url in html
    assert f'href="/register/cars/{newest.register_number}/"' in html


def test_home_without_events_or_cars_still_reads(client):
    html = client.get("/").content.decode()

    assert "No gathering is planned yet." in html
    assert "No roster is published yet." in html
    assert "0 verified cars of 6,309 built" in html


def test_home_query_count_is_pinned_and_does_not_grow(client, django_assert_num_queries):
    make_world(cars=40, events=3)

    # generation, model facts, verified count, next event, its sessions with counts, latest published
    # event, its first session with counts, that session's first cars, recent cars, their main photos
    with django_assert_num_queries(10):
        client.get("/")


@pytest.mark.django_db(transaction=True)
def test_home_is_cached_under_the_generation_with_one_query(client, django_assert_num_queries):
    world = make_world()
    first = client.get("/")

    with django_assert_num_queries(1):
        second = client.get("/")
    Entry.objects.filter(session__event=world["next"], status=Entry.Status.CONFIRMED).first().delete()
    third = client.get("/")

    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert "7 places left" in second.content.decode()
    assert "8 places left" in third.content.decode()
    assert client.get("/", HTTP_IF_NONE_MATCH=third["ETag"]).status_code == 304


@pytest.mark.django_db(transaction=True)
def test_cached_home_never_keeps_the_first_visitors_query_string():
    make_world()
    Client().get("/", {"x": "marker-31337"})

    page = Client().get("/").content.decode()

    assert "marker-31337" not in page
    assert f'href="{reverse("language")}?next=/"' in page
