from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from events.models import Entry
from register.models import Car, CarPhoto, private_storage
from register.photos import photo_add, photo_delete
from tests.factories import CarFactory, EntryFactory, SessionFactory
from tests.register.test_photos import image_bytes, upload
from tests.storage import read


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_keep_every_row(tmp_path):
    session = SessionFactory(capacity=5)
    EntryFactory.create_batch(3, session=session)
    out = StringIO()

    call_command("db_backup", "--verify", "--output", str(tmp_path / "register.dump"), stdout=out)

    text = out.getvalue()
    assert "Restore verified" in text
    assert (tmp_path / "register.dump").stat().st_size > 0
    car_line = next(line for line in text.splitlines() if line.strip().startswith("register_car "))
    assert car_line.split()[1:] == [str(Car.objects.count())] * 2
    entry_line = next(line for line in text.splitlines() if line.strip().startswith("events_entry "))
    assert entry_line.split()[1:] == [str(Entry.objects.count())] * 2


# Photos and private documents: files_backup, on the disk and in the buckets alike ----------------------------


def backup_files(*args) -> str:
    out = StringIO()
    call_command("files_backup", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_files_are_backed_up_verified_and_restored(storage_backend, tmp_path, django_capture_on_commit_callbacks):
    photo = photo_add(car=CarFactory(), upload=upload(image_bytes()))
    document = private_storage.save("claims/doc.jpg", ContentFile(b"registration document"))
    target = tmp_path / "files"

    first = backup_files(target)

    assert "public: 3 copied, 0 already there, 0 failed" in first
    assert "private: 1 copied, 0 already there, 0 failed" in first
    assert (target / "public" / photo.thumbnail.name).read_bytes() == read(photo.thumbnail)
    assert (target / "private" / document).read_bytes() == b"registration document"
    assert (target / "private" / document).stat().st_mode & 0o077 == 0  # the owner's only
    assert "public: 0 copied, 3 already there" in backup_files(target)

    # Lost from the storage (a deleted bucket, a new disk): the restore puts them back, byte for byte.
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=CarPhoto.objects.get(pk=photo.pk))
    private_storage.delete(document)
    restored = backup_files(target, "--restore")

    assert "public: 3 copied" in restored and "private: 1 copied" in restored
    assert read(photo.thumbnail) == (target / "public" / photo.thumbnail.name).read_bytes()
    with private_storage.open(document) as handle:
        assert handle.read() == b"registration document"
