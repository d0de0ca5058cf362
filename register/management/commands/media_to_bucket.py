"""Copy the files of the local disk (``MEDIA_ROOT``, ``PRIVATE_MEDIA_ROOT``) into the object storage's buckets.

For moving a site from one machine's disk to S3-compatible storage (README, "Object storage"): with the ``S3_*``
settings in place, every public file goes to the "default" storage's bucket and every private one to the
"private" storage's, under the same name. Each copy is verified by its MD5 checksum (the object's ETag, or the
object read back and hashed when the ETag is not an MD5); a file already there with the same checksum is
skipped, one there with other content is replaced. Running it again copies only what is new or differs, so it
can run before the switch and once more after it. The disk is left as it was.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.management.base import BaseCommand, CommandError

from common.storage import PRIVATE, PrivateFileSystemStorage

CHUNK = 1024 * 1024
PLAIN_MD5 = re.compile(r'^"?([0-9a-f]{32})"?$')


@dataclass
class Counts:
    copied: int = 0
    skipped: int = 0
    failed: int = 0


def file_names(storage: Storage, directory: str = "") -> list[str]:
    """Every file under ``directory`` of ``storage``, recursively."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return []
    prefix = f"{directory}/" if directory else ""
    names = [prefix + name for name in files]
    for sub in directories:
        names += file_names(storage, prefix + sub)
    return sorted(names)


def md5_of(storage: Storage, name: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with storage.open(name, "rb") as handle:
        for chunk in handle.chunks(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def stored_md5(storage: Storage, name: str) -> str | None:
    """The checksum of the object ``name`` (None when there is none): its ETag when that is the MD5 of the
    content (a single-part upload), else the object read back and hashed."""
    if not storage.exists(name):
        return None
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        key = storage._normalize_name(name)
        match = PLAIN_MD5.match(bucket.Object(key).e_tag or "")
        if match:
            return match.group(1)
    return md5_of(storage, name)


class Command(BaseCommand):
    help = "Copy MEDIA_ROOT and PRIVATE_MEDIA_ROOT into the buckets, verified by checksum; safe to run again."

    def handle(self, *args, **options):
        pairs = [
            ("public", FileSystemStorage(), storages["default"]),
            ("private", PrivateFileSystemStorage(), storages[PRIVATE]),
        ]
        if any(isinstance(target, FileSystemStorage) for _label, _source, target in pairs):
            raise CommandError("No object storage configured: set S3_ENDPOINT_URL and the other S3_* settings.")
        failed = 0
        for label, source, target in pairs:
            counts = self.copy(source, target)
            failed += counts.failed
            self.stdout.write(
                f"{label}: {counts.copied} copied, {counts.skipped} already there, {counts.failed} failed "
                f"({source.location} → bucket {target.bucket_name})"
            )
        if failed:
            raise CommandError(f"{failed} file(s) did not arrive intact; run the command again.")
        self.stdout.write(self.style.SUCCESS("Every file is in the object storage and verified."))

    def copy(self, source: Storage, target: Storage) -> Counts:
        counts = Counts()
        for name in file_names(source):
            checksum = md5_of(source, name)
            there = stored_md5(target, name)
            if there == checksum:
                counts.skipped += 1
                continue
            if there is not None:
                target.delete(name)  # other content under this name: an interrupted copy
            with source.open(name, "rb") as handle:
                saved = target.save(name, handle)
            if saved != name or stored_md5(target, name) != checksum:
                self.stderr.write(f"  {name}: the stored copy differs")
                counts.failed += 1
            else:
                counts.copied += 1
        return counts
