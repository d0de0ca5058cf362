"""Moving a site's files from the local disk into the object storage (manage.py media_to_bucket), against SeaweedFS."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from common.storage import PrivateFileSystemStorage, private_storage
from config import objectstore
from tests.register.test_photos import image_bytes
from tests.storage import files_under, s3_settings

PUBLIC = {"cars/a.jpg": image_bytes(), "cars/a_thumb.jpg": image_bytes(size=(40, 20)), "cars/b.webp": b"RIFF-webp"}
PRIVATE = {"claims/doc.jpg": image_bytes(colour=(1, 2, 3))}


@pytest.fixture
def disk(settings, tmp_path):
    """A site's files on the local disk, as before object storage."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    for storage, files in ((FileSystemStorage(), PUBLIC), (PrivateFileSystemStorage(), PRIVATE)):
        for name, content in files.items():
            assert storage.save(name, ContentFile(content)) == name


@pytest.fixture
def buckets(disk, settings, object_store):
    """The S3 settings in force; yields the key prefix of this test's files."""
    with s3_settings(object_store, settings) as prefix:
        yield prefix


def move() -> str:
    out = StringIO()
    call_command("media_to_bucket", stdout=out, stderr=out)
    return out.getvalue()


def stored(storage, names) -> dict[str, bytes]:
    result = {}
    for name in names:
        with storage.open(name, "rb") as handle:
            result[name] = handle.read()
    return result


def test_every_file_is_copied_to_its_bucket_and_verified(buckets, object_store):
    output = move()

    assert "public: 3 copied, 0 already there, 0 failed" in output
    assert "private: 1 copied, 0 already there, 0 failed" in output
    assert files_under(default_storage) == sorted(PUBLIC)
    assert files_under(private_storage) == sorted(PRIVATE)
    assert stored(default_storage, PUBLIC) == PUBLIC
    assert stored(private_storage, PRIVATE) == PRIVATE
    # The object store's own checksum of the public copy is the MD5 of the file on disk.
    head = objectstore.client(object_store).head_object(
        Bucket=object_store["S3_PUBLIC_BUCKET"], Key=f"{buckets}/cars/a.jpg"
    )
    assert head["ETag"].strip('"') == hashlib.md5(PUBLIC["cars/a.jpg"], usedforsecurity=False).hexdigest()
    assert head["ContentType"] == "image/jpeg"


def test_a_second_run_copies_nothing_and_a_changed_copy_is_replaced(buckets):
    move()
    default_storage.delete("cars/a_thumb.jpg")
    default_storage.save("cars/a_thumb.jpg", ContentFile(b"cut off"))  # an interrupted earlier copy

    output = move()

    assert "public: 1 copied, 2 already there, 0 failed" in output
    assert "private: 0 copied, 1 already there, 0 failed" in output
    assert stored(default_storage, PUBLIC) == PUBLIC
    assert "public: 0 copied, 3 already there, 0 failed" in move()


def test_the_disk_is_left_as_it_was(buckets):
    move()

    assert stored(FileSystemStorage(), PUBLIC) == PUBLIC
    assert stored(PrivateFileSystemStorage(), PRIVATE) == PRIVATE


def test_without_object_storage_it_refuses(disk):
    with pytest.raises(CommandError, match="S3_ENDPOINT_URL"):
        move()


def test_a_file_uploaded_in_parts_is_verified_by_reading_it_back(buckets, settings):
    # Over boto3's multipart threshold (8 MB) the ETag is no MD5 of the content: the copy is read back instead.
    big = bytes(range(256)) * (9 * 1024 * 4)
    FileSystemStorage().save("cars/big.jpg", ContentFile(big))

    assert "public: 4 copied" in move()
    with default_storage.open("cars/big.jpg", "rb") as handle:
        assert handle.read() == big
    assert "public: 0 copied, 4 already there" in move()
