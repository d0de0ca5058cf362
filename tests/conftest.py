from __future__ import annotations

import pytest

from tests import factories, reset, storage
from tests.factories import UserFactory


def pytest_collection_modifyitems(items):
    """Transactional tests flush the database when they end, taking the rows that data migrations
    made (model facts, colours, groups) with them. Serialized rollback puts those rows back at the
    start of every transactional test, so tests never depend on their order."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        fixtures = getattr(item, "fixturenames", ())
        if kwargs.get("transaction") or "transactional_db" in fixtures or "live_server" in fixtures:
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(**kwargs), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases, with a quick flush and serialized rollback (tests/reset.py)."""
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            if hasattr(connection, "_test_serialized_contents"):
                reset.install(connection)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs most of a second per user on this machine; hashing strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _static_files_found_per_request(settings):
    # Tests run with DEBUG on (tests/environment.py: static files come from the finders, no collectstatic) but
    # pytest-django turns DEBUG off again, so WhiteNoise took itself for production and listed every static
    # file through the finders whenever a test client or server built its middleware: 0.1 s per new Client,
    # a third of the suite. Looking a file up when it is asked for is what WhiteNoise does under runserver.
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path_factory):
    # Claim evidence is written to private storage; never into the worktree's var/.
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.mktemp("private")


@pytest.fixture(scope="session")
def object_store():
    """The S3 settings (``S3_*``) of a real SeaweedFS, started once for all test processes (tests/storage.py)."""
    return storage.object_store_env()


@pytest.fixture(params=["disk", "s3"])
def storage_backend(request, settings, tmp_path):
    """The test runs twice: files on the local disk, then in SeaweedFS' buckets (a key prefix per test).
    Returns "disk" or "s3"."""
    if request.param == "disk":
        settings.MEDIA_ROOT = tmp_path / "media"
        yield "disk"
        return
    with storage.s3_settings(request.getfixturevalue("object_store"), settings):
        yield "s3"


@pytest.fixture(autouse=True)
def _default_language():
    # A request in German leaves German active in the thread (Django does not reset it after a
    # response); every test starts in the site's default language.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The roster caches rendered content per process; no test may see another test's pages.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _mail_through_the_outbox(settings):
    # Django's test setup sends mail straight to locmem; here it goes through the outbox as in production,
    # and whatever delivers it (deliver_mail, a real worker) hands it to locmem unless a test says otherwise.
    settings.EMAIL_BACKEND = "outbox.backends.QueueBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def deliver_mail(mailoutbox):
    """Deliver every queued email as the worker would (the tasks' services, on this test's connection, so
    they see the test's uncommitted rows: first the mails a bank statement's payments left for the worker to
    compose, then the queue) and return what reached locmem's outbox."""
    from events.services import paid_mails_send
    from outbox.models import Message
    from outbox.services import message_deliver

    def deliver():
        paid_mails_send()
        for pk in Message.objects.queued().order_by("pk").values_list("pk", flat=True):
            message_deliver(message_id=pk)
        return list(mailoutbox)

    return deliver


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.org", display_name="Olga Owner")


@pytest.fixture
def other_owner(db):
    return UserFactory(email="other@example.org", display_name="Otto Other")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def organiser(db):
    return factories.organiser(email="organiser@example.org", display_name="Orla Organiser")


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


@pytest.fixture
def registrar(db):
    return factories.registrar(email="registrar@example.org", display_name="Rita Registrar")


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client
