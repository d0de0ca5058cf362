"""The history form of django-simple-history writes only for those who may change the object."""

from __future__ import annotations

from django.contrib.admin import site
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from common.admin import HistoryAdmin
from register.models import Car
from tests.factories import make_vin
from tests.security.dbstate import db_snapshot as db_checksum


def _revert_data(car: Car, **changes) -> dict:
    data = {
        "vin": car.vin,
        "colour": car.colour_id,
        "colour_note": car.colour_note,
        "market": car.market.code,
        "production_month": "",
        "nickname": car.nickname,
    }
    # The inlines' management forms, as the page sends them.
    for prefix in ("photos", "ownerships"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data | changes


def _history_url(car: Car) -> str:
    return reverse("admin:register_car_simple_history", args=[car.pk, car.history.latest().history_id])


def test_history_form_post_by_a_view_only_organiser_is_refused_and_changes_nothing(world):
    car = world.car
    client = world.client("organiser")
    path = _history_url(car)
    before = db_checksum()

    response = client.post(path, _revert_data(car, vin=make_vin(777001), market="US", nickname="Hijacked"))

    assert response.status_code == 403
    assert db_checksum() == before


def test_history_form_get_by_an_organiser_still_shows_the_old_version(world):
    response = world.client("organiser").get(_history_url(world.car))

    assert response.status_code == 200
    assert "Revert" not in response.content.decode()


def test_history_form_post_by_a_registrar_reverts(world):
    # The companion proof: the same POST by a role with change permission does write.
    car = world.car
    path = _history_url(car)

    response = world.client("registrar").post(path, _revert_data(car, nickname="Renamed by a registrar"))

    assert response.status_code == 302
    car.refresh_from_db()
    assert car.nickname == "Renamed by a registrar"


def test_every_admin_with_history_uses_the_closed_history_form():
    admins = site._registry.items()
    with_history = {model._meta.label for model, admin in admins if isinstance(admin, SimpleHistoryAdmin)}
    closed = {model._meta.label for model, admin in admins if isinstance(admin, HistoryAdmin)}

    assert with_history == closed
    assert "register.Car" in closed
