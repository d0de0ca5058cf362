"""Copying files from one storage to another, each copy verified by its MD5 checksum; safe to run again.

Used to move the disk's files into the buckets (``manage.py media_to_bucket``) and to back the storages' files up
(``manage.py files_backup``). A file already at the target with the same checksum is skipped; one there with other
content (an interrupted copy) is replaced.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.core.files.storage import Storage

CHUNK = 1024 * 1024
PLAIN_MD5 = re.compile(r'^"?([0-9a-f]{32})"?$')


@dataclass
class Counts:
    copied: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.copied} copied, {self.skipped} already there, {len(self.failed)} failed"


def file_names(storage: Storage, directory: str = "") -> list[str]:
    """Every file under ``directory`` of ``storage``, recursively (none when it does not exist)."""
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
    """The MD5 of the stored file ``name``, None when there is none. For an object in a bucket, its ETag when that
    is the MD5 of the content (a single-part upload), else the object read back and hashed."""
    if not storage.exists(name):
        return None
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        match = PLAIN_MD5.match(bucket.Object(storage._normalize_name(name)).e_tag or "")
        if match:
            return match.group(1)
    return md5_of(storage, name)


def storage_copy(source: Storage, target: Storage) -> Counts:
    """Copy every file of ``source`` to ``target`` under the same name, verified; return the counts."""
    counts = Counts()
    for name in file_names(source):
        checksum = md5_of(source, name)
        there = stored_md5(target, name)
        if there == checksum:
            counts.skipped += 1
            continue
        if there is not None:
            target.delete(name)
        with source.open(name, "rb") as handle:
            saved = target.save(name, handle)
        if saved != name or stored_md5(target, name) != checksum:
            counts.failed.append(name)
        else:
            counts.copied += 1
    return counts
