from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from register.models import Car, CarPhoto, Ownership
from tests.factories import CarFactory, VerifiedCarFactory, colour, make_vin

pytestmark = pytest.mark.django_db


ADD_URL = "/garage/cars/add/"


def wrong_check_digit(vin: str) -> str:
    wrong = "0" if vin[8] != "0" else "1"
    return vin[:8] + wrong + vin[9:]


def car_data(**overrides) -> dict:
    data = {
        "vin": make_vin(501),
        "colour": colour().pk,
        "colour_note": "",
        "market": "DE",
        "production_month": "2011-05",
        "nickname": "Orange Crush",
    }
    data.update(overrides)
    return data


def jpeg_bytes(size=(120, 80), colour_rgb=(226, 97, 27)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour_rgb).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# Adding a car ------------------------------------------------------------------------------------------------


def test_car_add_valid_vin_registers_pending_car_in_garage(owner_client, owner):
    response = owner_client.post(ADD_URL, car_data(), follow=True)

    car = Car.objects.get()
    assert response.redirect_chain == [("/garage/", 302)]
    assert car.vin == make_vin(501)
    assert car.owner == owner
    assert car.status == Car.Status.PENDING
    assert car.production_month == datetime.date(2011, 5, 1)
    assert car.nickname == "Orange Crush"
    assert car.check_digit_flag == ""
    assert list(Ownership.objects.filter(car=car).values_list("owner", "ended")) == [(owner.pk, None)]
    assert "Your car is registered." in response.content.decode()
    assert "A registrar will check the VIN" not in response.content.decode()


def test_car_add_normalises_spaces_and_lowercase_in_vin(owner_client):
    vin = make_vin(502)
    spaced = f"{vin[:3].lower()} {vin[3:9]}-{vin[9:]}"

    owner_client.post(ADD_URL, car_data(vin=spaced))

    assert list(Car.objects.values_list("vin", flat=True)) == [vin]


@pytest.mark.parametrize(
    ("vin", "market", "message"),
    [
        (make_vin(503)[:16], "DE", "A VIN has 17 characters; this one has 16."),
        (
            make_vin(503)[:11] + "O" + make_vin(503)[12:],
            "DE",
            "Position 12: the letter O is never used in a VIN (I, O and Q are not allowed).",
        ),
        (
            wrong_check_digit(make_vin(503)),
            "US",
            f"Position 9: the check digit should be {make_vin(503)[8]}, found {wrong_check_digit(make_vin(503))[8]}.",
        ),
        ("WBAUR91C0BV000503", "DE", "Positions 1–3: expected the manufacturer code WBS, found WBA."),
    ],
    ids=["too-short", "letter-O", "us-check-digit", "wrong-manufacturer"],
)
def test_car_add_invalid_vin_shows_error_next_to_field_and_saves_nothing(owner_client, vin, market, message):
    response = owner_client.post(ADD_URL, car_data(vin=vin, market=market))

    assert response.status_code == 200
    assert response.context["form"].errors["vin"] == [message]
    html = response.content.decode()
    assert 'id="error_1_id_vin"' in html
    assert message in html
    assert Car.objects.count() == 0


def test_car_add_shows_every_vin_error(owner_client):
    response = owner_client.post(ADD_URL, car_data(vin="WBSUR9IC0BV00O001"))

    assert response.context["form"].errors["vin"] == [
        "Position 7: the letter I is never used in a VIN (I, O and Q are not allowed).",
        "Position 14: the letter O is never used in a VIN (I, O and Q are not allowed).",
    ]
    assert Car.objects.count() == 0


def test_car_add_wrong_check_digit_outside_north_america_saves_with_flag_notice(owner_client):
    vin = wrong_check_digit(make_vin(504))

    response = owner_client.post(ADD_URL, car_data(vin=vin, market="DE"), follow=True)

    car = Car.objects.get()
    expected_flag = f"Position 9: the check digit should be {make_vin(504)[8]}, found {vin[8]}."
    assert car.vin == vin
    assert car.check_digit_flag == expected_flag
    html = response.content.decode()
    assert "A registrar will check the VIN" in html
    assert expected_flag in html


def test_car_add_missing_fields_show_errors_and_save_nothing(owner_client):
    response = owner_client.post(ADD_URL, {"vin": "", "colour": "", "market": ""})

    errors = response.context["form"].errors
    assert set(errors) == {"vin", "colour", "market"}
    assert Car.objects.count() == 0


def test_car_add_production_month_outside_production_is_an_error(owner_client):
    response = owner_client.post(ADD_URL, car_data(production_month="2013-01"))

    assert response.context["form"].errors["production_month"] == [
        "The BMW 1 Series M Coupé was built from March 2011 to June 2012."
    ]
    assert Car.objects.count() == 0


def test_car_add_garbage_month_is_an_error_not_a_500(owner_client):
    response = owner_client.post(ADD_URL, car_data(production_month="May"))

    assert response.status_code == 200
    assert response.context["form"].errors["production_month"] == ["Enter a valid date."]
    assert Car.objects.count() == 0


def test_car_add_form_has_month_input_and_vin_field(owner_client):
    response = owner_client.get(ADD_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="month"' in html
    assert 'name="vin"' in html
    assert 'for="id_vin" class="form-label requiredField"' in html


def test_car_add_form_preselects_no_colour(owner_client):
    response = owner_client.get(ADD_URL)

    html = response.content.decode()
    colour_select = html[html.index('<select name="colour"') :].split("</select>")[0]
    assert '<option value="" selected>Choose…</option>' in colour_select
    assert colour_select.count("selected") == 1


# Garage list and editing --------------------------------------------------------------------------------------


def test_garage_lists_my_cars_with_status_and_not_others(owner_client, owner, other_owner):
    pending = CarFactory(owner=owner, nickname="Pending one")
    verified = VerifiedCarFactory(owner=owner, nickname="Verified one", register_number=77)
    CarFactory(owner=other_owner, nickname="Not mine")

    response = owner_client.get("/garage/")

    html = response.content.decode()
    assert list(response.context["cars"]) == [verified, pending]
    assert "Pending verification" in html
    assert "#77" in html
    assert "Not mine" not in html
    assert f"/garage/cars/{pending.pk}/edit/" in html
    assert f"/garage/cars/{verified.pk}/photos/" in html


def test_car_edit_changes_fields_but_not_vin(owner_client, owner):
    car = CarFactory(owner=owner)
    vin = car.vin

    response = owner_client.post(
        f"/garage/cars/{car.pk}/edit/",
        {
            "vin": make_vin(999),
            "colour": colour("Java Green").pk,
            "colour_note": "Green Mamba",
            "market": "DE",
            "production_month": "2011-09",
            "nickname": "Mamba",
        },
    )

    car.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/garage/"
    assert car.vin == vin
    assert car.colour.name == "Java Green"
    assert car.colour_label == "Java Green (Green Mamba)"
    assert car.production_month == datetime.date(2011, 9, 1)
    assert car.nickname == "Mamba"


def test_car_edit_to_us_market_with_bad_check_digit_is_refused(owner_client, owner):
    car = CarFactory(owner=owner, vin=wrong_check_digit(make_vin(505)), market="DE")

    response = owner_client.post(
        f"/garage/cars/{car.pk}/edit/", {"colour": car.colour.pk, "market": "US", "nickname": "x"}
    )

    car.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors["market"] == [
        f"Position 9: the check digit should be {make_vin(505)[8]}, found {car.vin[8]}."
    ]
    assert car.market == "DE"
    assert car.nickname == ""


# Owner-only access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/garage/", ADD_URL, "/garage/claim/", "/garage/profile/"])
def test_garage_pages_redirect_anonymous_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_other_owner_gets_404_on_car_edit_and_photos(client, owner, other_owner, media):
    car = CarFactory(owner=owner, nickname="Mine")
    client.force_login(other_owner)

    responses = [
        client.get(f"/garage/cars/{car.pk}/edit/"),
        client.post(f"/garage/cars/{car.pk}/edit/", {"colour": car.colour.pk, "market": "DE", "nickname": "Stolen"}),
        client.get(f"/garage/cars/{car.pk}/photos/"),
        client.post(
            f"/garage/cars/{car.pk}/photos/",
            {"image": SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"), "caption": ""},
        ),
    ]

    car.refresh_from_db()
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert car.nickname == "Mine"
    assert CarPhoto.objects.count() == 0


def test_other_owner_gets_404_on_photo_actions(client, owner, other_owner, media):
    from register.photos import photo_add

    car = CarFactory(owner=owner)
    first = photo_add(car=car, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    second = photo_add(car=car, upload=SimpleUploadedFile("b.jpg", jpeg_bytes(), "image/jpeg"))
    client.force_login(other_owner)

    main = client.post(f"/garage/photos/{second.pk}/main/")
    delete = client.post(f"/garage/photos/{first.pk}/delete/")

    assert (main.status_code, delete.status_code) == (404, 404)
    assert list(CarPhoto.objects.filter(car=car).values_list("pk", "is_main")) == [
        (first.pk, True),
        (second.pk, False),
    ]


def test_anonymous_photo_actions_redirect_to_login(client, owner, media):
    from register.photos import photo_add

    car = CarFactory(owner=owner)
    photo = photo_add(car=car, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))

    response = client.post(f"/garage/photos/{photo.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert CarPhoto.objects.filter(pk=photo.pk).exists()


# Photos -----------------------------------------------------------------------------------------------------------


def test_photo_upload_stores_photo_and_first_becomes_main(owner_client, owner, media):
    car = CarFactory(owner=owner)

    response = owner_client.post(
        f"/garage/cars/{car.pk}/photos/",
        {"image": SimpleUploadedFile("holiday.jpg", jpeg_bytes(), "image/jpeg"), "caption": "At the Ring"},
        follow=True,
    )

    photo = CarPhoto.objects.get()
    html = response.content.decode()
    assert response.redirect_chain == [(f"/garage/cars/{car.pk}/photos/", 302)]
    assert photo.car == car
    assert photo.caption == "At the Ring"
    assert photo.is_main is True
    assert "holiday" not in photo.image.name
    assert photo.thumbnail.url in html
    assert "Photo added." in html


def test_photo_upload_of_non_image_shows_error_next_to_image_field(owner_client, owner, media):
    car = CarFactory(owner=owner)

    response = owner_client.post(
        f"/garage/cars/{car.pk}/photos/",
        {"image": SimpleUploadedFile("notes.jpg", b"just some text, not a photo", "image/jpeg"), "caption": "x"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["image"] == [
        "This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC image."
    ]
    assert 'id="error_1_id_image"' in response.content.decode()
    assert CarPhoto.objects.count() == 0


def test_photo_upload_without_file_is_a_form_error(owner_client, owner, media):
    car = CarFactory(owner=owner)

    response = owner_client.post(f"/garage/cars/{car.pk}/photos/", {"caption": "nothing"})

    assert response.context["form"].errors["image"] == ["This field is required."]
    assert CarPhoto.objects.count() == 0


def test_photos_page_has_accept_attribute_progress_bar_and_script(owner_client, owner):
    car = CarFactory(owner=owner)

    response = owner_client.get(f"/garage/cars/{car.pk}/photos/")

    html = response.content.decode()
    assert 'accept="image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'role="progressbar"' in html
    assert 'aria-valuenow="0"' in html
    assert "/static/js/upload.js" in html


def test_photo_set_main_and_delete_through_buttons(owner_client, owner, media):
    from register.photos import photo_add

    car = CarFactory(owner=owner)
    first = photo_add(car=car, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    second = photo_add(car=car, upload=SimpleUploadedFile("b.jpg", jpeg_bytes(), "image/jpeg"))

    main = owner_client.post(f"/garage/photos/{second.pk}/main/")
    main_state = dict(CarPhoto.objects.values_list("pk", "is_main"))
    delete = owner_client.post(f"/garage/photos/{second.pk}/delete/")

    assert main["Location"] == f"/garage/cars/{car.pk}/photos/"
    assert main_state == {first.pk: False, second.pk: True}
    assert delete["Location"] == f"/garage/cars/{car.pk}/photos/"
    assert list(CarPhoto.objects.values_list("pk", "is_main")) == [(first.pk, True)]


def test_photo_main_refuses_get(owner_client, owner, media):
    from register.photos import photo_add

    car = CarFactory(owner=owner)
    first = photo_add(car=car, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    second = photo_add(car=car, upload=SimpleUploadedFile("b.jpg", jpeg_bytes(), "image/jpeg"))

    assert owner_client.get(f"/garage/photos/{second.pk}/main/").status_code == 405
    assert list(CarPhoto.objects.order_by("pk").values_list("pk", "is_main")) == [(first.pk, True), (second.pk, False)]


def test_photo_delete_get_asks_first_and_deletes_nothing(owner_client, owner, media):
    from register.photos import photo_add

    car = CarFactory(owner=owner)
    photo = photo_add(car=car, upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"), caption="Karussell")

    response = owner_client.get(f"/garage/photos/{photo.pk}/delete/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Delete this photo?" in html
    assert "Delete the photo</button>" in html
    assert photo.thumbnail.url in html
    assert CarPhoto.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize("count", [1, 6])
def test_garage_query_count_does_not_grow_with_cars(
    client, owner, other_owner, media, count, django_assert_num_queries
):
    from register.photos import photo_add
    from register.services import claim_create

    cars = [CarFactory(owner=owner) for _ in range(count)]
    photo_add(car=cars[0], upload=SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg"))
    for _ in range(count):
        claim_create(car=CarFactory(owner=other_owner), claimant=owner)
    client.force_login(owner)

    # session, user, cars, their photos, pending claims with their cars
    with django_assert_num_queries(5):
        response = client.get("/garage/")

    assert len(response.context["cars"]) == count
    assert len(response.context["claims"]) == count
