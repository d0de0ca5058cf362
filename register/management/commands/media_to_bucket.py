"""Copy the files of the local disk (``MEDIA_ROOT``, ``PRIVATE_MEDIA_ROOT``) into the object storage's buckets.

For moving a site from one machine's disk to S3-compatible storage (README, "Object storage"): with the ``S3_*``
settings in place, every public file goes to the "default" storage's bucket and every private one to the
"private" storage's, under the same name. Each copy is verified by its MD5 checksum (common/filecopy.py); a file
already there and equal is skipped, one there with other content is replaced. Running it again copies only what is
new or differs, so it can run before the switch and once more after it. The disk is left as it was.
"""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from common.filecopy import storage_copy
from common.storage import PRIVATE, PrivateFileSystemStorage


class Command(BaseCommand):
    help = "Copy MEDIA_ROOT and PRIVATE_MEDIA_ROOT into the buckets, verified by checksum; safe to run again."

    def handle(self, *args, **options):
        pairs = [
            ("public", FileSystemStorage(), storages["default"]),
            ("private", PrivateFileSystemStorage(), storages[PRIVATE]),
        ]
        if any(isinstance(target, FileSystemStorage) for _label, _source, target in pairs):
            raise CommandError("No object storage configured: set S3_ENDPOINT_URL and the other S3_* settings.")
        failed = []
        for label, source, target in pairs:
            counts = storage_copy(source, target)
            failed += counts.failed
            self.stdout.write(f"{label}: {counts} ({source.location} → bucket {target.bucket_name})")
        if failed:
            raise CommandError(f"Not copied intact: {', '.join(failed)}. Run the command again.")
        self.stdout.write(self.style.SUCCESS("Every file is in the object storage and verified."))
