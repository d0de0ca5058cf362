from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from events.models import Entry
from register.photos import photo_add
from tests.factories import CarFactory, EntryFactory, SessionFactory, UserFactory, VerifiedCarFactory, colour

pytestmark = pytest.mark.django_db


def jpeg_upload(name="car.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 100), (226, 97, 27)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/jpeg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_home_links_register_your_car_to_car_form(client):
    response = client.get("/")

    assert response.status_code == 200
    assert 'href="/garage/cars/add/"' in response.content.decode()


# The public list -------------------------------------------------------------------------------------------------


def test_list_shows_only_verified_cars_in_register_order(client):
    second = VerifiedCarFactory(register_number=2, nickname="Second")
    first = VerifiedCarFactory(register_number=1, nickname="First")
    CarFactory(nickname="Still pending")

    response = client.get("/register/")

    html = response.content.decode()
    assert list(response.context["cars"]) == [first, second]
    assert "Still pending" not in html
    assert "2 verified cars" in html
    assert first.vin_masked in html
    assert 'href="/register/cars/1/"' in html


def test_list_filters_by_colour_and_market(client):
    orange_de = VerifiedCarFactory(market="DE", colour=colour("Valencia Orange Metallic"))
    VerifiedCarFactory(market="US", colour=colour("Valencia Orange Metallic"))
    VerifiedCarFactory(market="DE", colour=colour("Alpine White"))

    response = client.get("/register/", {"colour": colour("Valencia Orange Metallic").pk, "market": "DE"})

    assert list(response.context["cars"]) == [orange_de]


def test_list_market_filter_offers_only_markets_in_the_register(client):
    VerifiedCarFactory(market="ZA")
    CarFactory(market="JP")

    response = client.get("/register/")

    assert list(response.context["filter"].form.fields["market"].choices) == [
        ("", "All markets"),
        ("ZA", "South Africa"),
    ]


def test_list_bad_filter_value_is_not_a_500(client):
    car = VerifiedCarFactory()

    response = client.get("/register/", {"colour": "not-a-number", "market": "XX", "page": "abc"})

    assert response.status_code == 200
    assert list(response.context["cars"]) == [car]
    assert set(response.context["filter"].errors) == {"colour", "market"}
    assert 'id="error_1_id_market"' in response.content.decode()


def test_list_paginates_25_per_page_and_keeps_filter_in_links(client):
    cars = [VerifiedCarFactory(register_number=n, market="CA") for n in range(1, 28)]

    first_page = client.get("/register/", {"market": "CA"})
    second_page = client.get("/register/", {"market": "CA", "page": 2})

    assert list(first_page.context["cars"]) == cars[:25]
    assert list(second_page.context["cars"]) == cars[25:]
    assert 'href="?market=CA&amp;page=2"' in first_page.content.decode()


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_cars(client, media, count, django_assert_num_queries):
    cars = [VerifiedCarFactory(register_number=n + 1) for n in range(count)]
    for car in cars[:3]:
        photo_add(car=car, upload=jpeg_upload())
    for car in cars[1::2]:
        car.owner.show_name_publicly = True
        car.owner.save()

    # count, cars, main photos, colour choices, market choices
    with django_assert_num_queries(5):
        response = client.get("/register/")

    assert response.status_code == 200
    assert len(response.context["cars"]) == min(count, 25)
    assert response.content.decode().count("/media/cars/") == 3


def test_list_shows_main_photo_thumbnail(client, media):
    car = VerifiedCarFactory()
    photo = photo_add(car=car, upload=jpeg_upload())

    response = client.get("/register/")

    assert f'src="{photo.thumbnail.url}"' in response.content.decode()


# The public car page ----------------------------------------------------------------------------------------------


def test_car_page_of_pending_or_unknown_car_is_404(client):
    CarFactory(register_number=5)

    assert client.get("/register/cars/5/").status_code == 404
    assert client.get("/register/cars/999/").status_code == 404


def test_car_page_shows_facts_photos_and_event_history(client, media):
    car = VerifiedCarFactory(
        register_number=42,
        nickname="Green Mamba",
        colour=colour("Java Green"),
        colour_note="BMW Individual",
        market="DE",
        production_month="2011-06-01",
    )
    main = photo_add(car=car, upload=jpeg_upload(), caption="At BMW Welt")
    other = photo_add(car=car, upload=jpeg_upload(), caption="Nordschleife")
    published = SessionFactory(name="Saturday convoy", event__name="Gathering 2025", event__roster_published=True)
    hidden = SessionFactory(name="Sunday GP", event__name="Secret meet")
    EntryFactory(session=published, car=car)
    EntryFactory(session=hidden, car=car, status=Entry.Status.CANCELLED, slot=None)

    response = client.get("/register/cars/42/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="h2">#42 · Green Mamba</h1>' in html
    assert car.vin_masked in html
    assert "Java Green" in html
    assert "BMW Individual" in html
    assert "Germany" in html
    assert "June 2011" in html
    assert f'src="{main.display.url}"' in html
    assert f'src="{other.thumbnail.url}"' in html
    assert "Gathering 2025" in html
    assert f'href="/events/{published.event.slug}/roster/"' in html
    assert "Saturday convoy" in html
    assert "Secret meet" not in html


def test_car_page_labels_stand_above_their_values_on_a_phone(client):
    # At 375 px a label beside its value left "Produktionsmonat" 146 px, too few: it ran into "November 2011".
    VerifiedCarFactory(register_number=42, production_month="2011-11-01")

    html = client.get("/register/cars/42/", headers={"accept-language": "de"}).content.decode()

    assert '<dt class="col-sm-5">Produktionsmonat</dt><dd class="col-sm-7">November 2011</dd>' in html
    assert 'class="col-5"' not in html


def test_car_page_history_survives_change_of_owner(client):
    car = VerifiedCarFactory(register_number=8)
    EntryFactory(session=SessionFactory(name="Old owner's convoy", event__roster_published=True), car=car)
    car.owner = UserFactory()
    car.save()

    response = client.get("/register/cars/8/")

    assert "Old owner&#x27;s convoy" in response.content.decode()


# --- Language -------------------------------------------------------------------------------------------------


def test_footer_links_to_the_language_page_with_the_way_back(client, db):
    html = client.get(reverse("register:stats")).content.decode()

    assert f'href="{reverse("language")}?next=/register/stats/"' in html
    assert "csrfmiddlewaretoken" not in html


def test_choosing_a_language_on_its_page_switches_and_goes_back(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("language"), {"next": "/register/stats/"})
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    response = client.post(
        reverse("set_language"), {"language": "de", "next": "/register/stats/", "csrfmiddlewaretoken": token}
    )

    assert 'value="/register/stats/"' in html
    assert 'value="de"' in html and 'value="en"' in html
    assert response.status_code == 302
    assert response["Location"] == "/register/stats/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert '<html lang="de">' in client.get(reverse("register:stats")).content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_language_page_never_sends_back_off_site(client, db, target):
    html = client.get(reverse("language"), {"next": target}).content.decode()

    assert 'name="next" type="hidden" value="/"' in html
    assert '<a href="/">' in html
    assert f'value="{target}"' not in html and f'href="{target}"' not in html
