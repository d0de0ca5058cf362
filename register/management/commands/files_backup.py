"""Back up the photos and private documents (the "default" and "private" storages, on disk or in buckets) to a
directory, or put them back from it with ``--restore``.

Each file is copied under its own name (``DEST/public/…``, ``DEST/private/…``) and verified by its MD5 checksum
(common/filecopy.py); a file already there and equal is skipped, so a second run copies only what is new. Nothing is
deleted on either side: a backup keeps a file that the site has since deleted. The private half holds personal
documents: it is written readable by its owner only; keep DEST as safe as the database dumps (var/backups).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from common.filecopy import storage_copy
from common.storage import PRIVATE


def backup_storage(directory: Path, *, private: bool) -> FileSystemStorage:
    modes = {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700} if private else {}
    return FileSystemStorage(location=directory, base_url=None, **modes)


class Command(BaseCommand):
    help = "Copy the stored photos and private documents to a directory (default var/backups/files), or back."

    def add_arguments(self, parser):
        parser.add_argument("destination", nargs="?", help="the backup directory (default: var/backups/files)")
        parser.add_argument("--restore", action="store_true", help="copy from the directory back into the storages")

    def handle(self, *args, **options):
        destination = Path(options["destination"] or settings.BASE_DIR / "var" / "backups" / "files").resolve()
        failed = []
        for label, alias in (("public", "default"), ("private", PRIVATE)):
            backup = backup_storage(destination / label, private=alias == PRIVATE)
            source, target = (backup, storages[alias]) if options["restore"] else (storages[alias], backup)
            counts = storage_copy(source, target)
            failed += counts.failed
            self.stdout.write(f"{label}: {counts}")
        if failed:
            raise CommandError(f"Not copied intact: {', '.join(failed)}. Run the command again.")
        where = "into the storages from" if options["restore"] else "in"
        self.stdout.write(self.style.SUCCESS(f"Every file is {where} {destination}, verified."))
