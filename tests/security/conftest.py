"""A small world every security test can use: two owners, two staff roles, a photo, two events."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from events.models import Declaration, DeclarationSignature, Entry, Event, Session
from events.services import declaration_publish
from register.models import Car, CarPhoto, User
from register.photos import photo_add
from tests.factories import EntryFactory, EventFactory, SessionFactory, VerifiedCarFactory, organiser, registrar

ROLES = ("anonymous", "owner", "other", "organiser", "registrar")


def jpeg_bytes(size=(64, 48), colour=(226, 97, 27)) -> bytes:
    buf = BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


@dataclass
class World:
    users: dict[str, User | None]
    car: Car
    other_car: Car
    photo: CarPhoto
    event: Event  # roster published, registration open
    session: Session
    entry: Entry  # the owner's confirmed entry in ``session``
    signature: DeclarationSignature  # the owner's signature of ``event``'s declaration, which ``session`` needs
    hidden_event: Event  # roster not published
    hidden_session: Session
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, role: str, **kwargs) -> Client:
        """A client logged in as ``role``: the same one for the whole test, so a matrix of hundreds of
        requests logs in once per role. ``kwargs`` (e.g. ``enforce_csrf_checks``) give a fresh one."""
        if kwargs:
            return self._login(Client(**kwargs), role)
        if role not in self.clients:
            self.clients[role] = self._login(Client(), role)
        return self.clients[role]

    def _login(self, client: Client, role: str) -> Client:
        user = self.users[role]
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth rate-limits logins per IP (30/min) in the cache, which outlives each test's transaction:
    # without this, a run with many logins gets allauth's 429 instead of the page under test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db, owner, other_owner, media_root) -> World:
    car = VerifiedCarFactory(owner=owner, nickname="Orange one")
    other_car = VerifiedCarFactory(owner=other_owner, nickname="Other one")
    photo = photo_add(car=car, upload=SimpleUploadedFile("p.jpg", jpeg_bytes(), content_type="image/jpeg"))
    event = EventFactory(slug="ring-open", roster_published=True)
    session = SessionFactory(event=event, slug="corso", declaration_required=True)
    entry = EntryFactory(session=session, car=car, slot=1)
    signature = _signed(entry)
    hidden_event = EventFactory(slug="ring-hidden")
    hidden_session = SessionFactory(event=hidden_event, slug="gp")
    users = {
        "anonymous": None,
        "owner": owner,
        "other": other_owner,
        "organiser": organiser(email="organiser@example.org", display_name="Organisers"),
        "registrar": registrar(email="registrar@example.org", display_name="Registrars"),
    }
    return World(
        users=users,
        car=car,
        other_car=other_car,
        photo=photo,
        event=event,
        session=session,
        entry=entry,
        signature=signature,
        hidden_event=hidden_event,
        hidden_session=hidden_session,
    )


def _signed(entry: Entry) -> DeclarationSignature:
    """The event's declaration published, and the driver's signature with a small stand-in PDF in private storage
    (rendering a real one for every test of this package would cost seconds; tests/events/ render real ones)."""
    declaration = Declaration.objects.create(event=entry.session.event, driver_text_en="At my own risk.")
    version = declaration_publish(declaration=declaration, by=None, notify=False)
    pdf = b"%PDF-1.4 stand-in"
    signature = DeclarationSignature(
        entry=entry,
        role="driver",
        version=version,
        name="Owner Signed",
        method="typed",
        signed_at=timezone.now(),
        language="en",
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    signature.pdf.save("security-world.pdf", ContentFile(pdf), save=False)
    signature.save()
    return signature
