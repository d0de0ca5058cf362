import pytest
from django.db import IntegrityError

from register.models import Colour


@pytest.mark.parametrize("swatch", ["red", "#fff", "#12345G", "#1234;x"])
def test_colour_swatch_outside_rrggbb_is_refused_by_the_database(db, swatch):
    with pytest.raises(IntegrityError, match="colour_hex_is_rrggbb"):
        Colour.objects.create(name="Frozen Grey", hex=swatch)


def test_colour_swatch_rrggbb_is_stored(db):
    assert Colour.objects.create(name="Frozen Grey", hex="#8A8D91").hex == "#8A8D91"
