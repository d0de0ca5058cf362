"""Two organisers publish at once, and a driver signs twice at once (a double tap): the declaration's lock makes
one version and one signature, the other is told why."""

from __future__ import annotations

import pytest

from events.models import Declaration, DeclarationSignature, DeclarationVersion
from events.services import EntryError, declaration_publish
from register.models import private_storage
from tests.events.declaring import published, sign
from tests.events.test_race import run_at_once
from tests.factories import EntryFactory, SessionFactory, organiser

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def private(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def test_two_publishes_of_the_same_draft_make_one_version():
    entry = EntryFactory(session=SessionFactory(declaration_required=True))
    published(entry.session.event)
    declaration = Declaration.objects.get(event=entry.session.event)
    declaration.driver_text_en = "Helmets on."
    declaration.save()
    staff = [organiser(), organiser()]

    results = run_at_once(2, lambda i: declaration_publish(declaration=declaration, by=staff[i]))

    assert sorted(type(r).__name__ for r in results) == ["DeclarationVersion", "EntryError"]
    assert list(DeclarationVersion.objects.values_list("number", flat=True).order_by("number")) == [1, 2]


def test_a_double_tap_on_sign_makes_one_signature_and_leaves_no_stray_file():
    entry = EntryFactory(session=SessionFactory(declaration_required=True))
    version = published(entry.session.event)

    results = run_at_once(2, lambda i: sign(entry, version))

    assert sorted(type(r).__name__ for r in results) == ["DeclarationSignature", "EntryError"]
    assert any(isinstance(r, EntryError) and "signed already" in str(r) for r in results)
    assert DeclarationSignature.objects.count() == 1
    assert len(private_storage.listdir("declarations")[1]) == 1
