"""The ``STORAGES`` setting from the environment: local disk by default, S3-compatible object storage when
``S3_ENDPOINT_URL`` is set (README, "Object storage"; the storages themselves are in common/storage.py).

Importing this starts and imports nothing (no boto3): Django loads a backend when a file is first used.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

S3_VARIABLES = (
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "S3_PUBLIC_BUCKET",
    "S3_PRIVATE_BUCKET",
)


def s3_storages(env: Mapping[str, str], *, location: str = "") -> dict[str, dict]:
    """The "default" and "private" storages in the buckets that ``env`` (the ``S3_*`` variables) names.

    ``location`` puts every file under that key prefix (the tests give each test its own).
    """
    missing = [name for name in S3_VARIABLES if name != "S3_REGION" and not env.get(name)]
    if missing:
        raise ImproperlyConfigured(f"S3_ENDPOINT_URL is set, so these are needed too: {', '.join(missing)}.")
    if env["S3_PUBLIC_BUCKET"] == env["S3_PRIVATE_BUCKET"]:
        raise ImproperlyConfigured("S3_PUBLIC_BUCKET and S3_PRIVATE_BUCKET must be two different buckets.")
    common = {
        "endpoint_url": env["S3_ENDPOINT_URL"],
        "access_key": env["S3_ACCESS_KEY_ID"],
        "secret_key": env["S3_SECRET_ACCESS_KEY"],
        "region_name": env.get("S3_REGION") or "us-east-1",
        "location": location,
    }
    return {
        "default": {
            "BACKEND": "common.storage.PublicS3Storage",
            "OPTIONS": {**common, "bucket_name": env["S3_PUBLIC_BUCKET"]},
        },
        "private": {
            "BACKEND": "common.storage.PrivateS3Storage",
            "OPTIONS": {**common, "bucket_name": env["S3_PRIVATE_BUCKET"]},
        },
    }


def disk_storages() -> dict[str, dict]:
    """Photos under ``MEDIA_ROOT``, private files under ``PRIVATE_MEDIA_ROOT`` (both read when used)."""
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {"BACKEND": "common.storage.PrivateFileSystemStorage"},
    }


def storages_setting(env: Mapping[str, str], *, debug: bool) -> dict[str, dict]:
    files = s3_storages(env) if env.get("S3_ENDPOINT_URL") else disk_storages()
    static = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
        if debug
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    return {**files, "staticfiles": {"BACKEND": static}}
