"""Where the project's files live: Django's storages, never a path on this machine's disk.

Two storages (``settings.STORAGES``, built by config/storages.py):

- ``"default"``: public car photos and their thumbnails. Every name is a fresh random one (register/photos.py),
  so a file never changes: the app serves them at ``MEDIA_URL`` (``serve_public``) with a year-long cache
  header. Served from this site, they stay same-origin for the Content-Security-Policy (``img-src 'self'``)
  and for the service worker, which saves a saved page's photos for offline use (templates/offline/sw.js).
- ``"private"`` (``private_storage``): claim evidence and any other private document. No URL reaches it: its
  ``url()`` refuses, and files are read only by views that check a permission and stream them.

Both are on the local disk (``MEDIA_ROOT``, ``PRIVATE_MEDIA_ROOT``) unless ``S3_ENDPOINT_URL`` is set; then each
is a bucket of an S3-compatible object store (django-storages with boto3), and any app node serves any file.
"""

from __future__ import annotations

import mimetypes
import os

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.encoding import filepath_to_uri
from django.utils.functional import LazyObject, empty
from django.views.decorators.http import require_safe
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PRIVATE = "private"
# A photo's name is never reused for other content: browsers and proxies may keep it for a year.
PUBLIC_CACHE_CONTROL = "public, max-age=31536000, immutable"


def s3_client_config(**extra):
    """botocore's client configuration for an S3-compatible server.

    Since boto3 1.36 the client adds CRC checksums to every upload and checks them on every download;
    several S3-compatible servers refuse or lack them, so they are sent and checked only when an
    operation requires them. Buckets are addressed by path (``https://host/bucket/key``), which needs no
    DNS name per bucket.
    """
    from botocore.config import Config

    return Config(
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        **extra,
    )


class PrivateFileSystemStorage(FileSystemStorage):
    """Private files on disk: under ``PRIVATE_MEDIA_ROOT`` (outside ``MEDIA_ROOT``, so no URL serves them)."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL.")


class _S3Storage(S3Storage):
    """A bucket of an S3-compatible store. Never overwrites a file (as on disk, a taken name gets a suffix);
    uploads in the request's thread (boto3's thread pool doubled the time of a photo's save: BENCHMARKS.md)."""

    def get_default_settings(self):
        from boto3.s3.transfer import TransferConfig

        return {
            **super().get_default_settings(),
            "client_config": s3_client_config(),
            "file_overwrite": False,
            "transfer_config": TransferConfig(use_threads=False),
        }

    def open_stream(self, name):
        """The object's bytes as a stream from a single GET, and its size: for serving. (``open`` asks with a HEAD
        first, then downloads the whole object into a temporary file: five times slower for a thumbnail.)"""
        try:
            answer = self.connection.meta.client.get_object(
                Bucket=self.bucket_name, Key=self._normalize_name(clean_name(name))
            )
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(name) from None
            raise
        return answer["Body"], answer["ContentLength"]


class PublicS3Storage(_S3Storage):
    """Public photos in a bucket, served by the app at ``MEDIA_URL`` like the ones on disk (``serve_public``)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return f"{settings.MEDIA_URL}{filepath_to_uri(name)}"


class PrivateS3Storage(_S3Storage):
    """Private files in a bucket that grants nothing to anonymous requests; no URL, signed or not."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files have no URL.")


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up when first used and again whenever the setting changes (tests)."""

    def _setup(self):
        self._wrapped = storages[PRIVATE]


private_storage = _PrivateStorage()


def get_private_storage():
    """For ``FileField(storage=get_private_storage)``: migrations name this function, not a backend."""
    return private_storage


@receiver(setting_changed)
def _private_storage_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        private_storage._wrapped = empty


def private_file_response(file, *, content_type: str, download_as: str = "") -> FileResponse:
    """A private file (claim evidence, a signed declaration) streamed from its storage to a reader the calling
    view has let in: never kept by a cache, a 404 when the file is gone; ``download_as`` makes it a download."""
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=bool(download_as), filename=download_as)
    response["Cache-Control"] = "private, no-store"
    return response


def storages_answer() -> dict[str, str | None]:
    """For a readiness check: whether each file storage answers (a HEAD in a bucket, a stat on disk). Per storage
    alias, None when it answered, else what went wrong."""
    from botocore.exceptions import BotoCoreError

    answers = {}
    for alias in ("default", PRIVATE):
        try:
            storages[alias].exists("readiness-check")
        except (OSError, ClientError, BotoCoreError) as error:
            answers[alias] = f"{type(error).__name__}: {error}"
        else:
            answers[alias] = None
    return answers


@require_safe
def serve_public(request, path):
    """A public file of the default storage (a car photo), from disk or the bucket, cached for a year.

    Names are chosen by the server and nothing private is in this storage; a name that leads to no file
    is a 404, one leading outside the storage (``..``) a 400 (``SuspiciousOperation``, logged as such).
    SecurityMiddleware adds ``nosniff``.
    """
    from django.core.files.storage import default_storage

    if ".." in path.split("/"):
        # A bucket has no "outside" to escape to, but asking for one is refused as on disk.
        raise SuspiciousFileOperation(f"Media path outside the storage: {path!r}")
    if not path or path.endswith("/"):
        raise Http404
    open_stream = getattr(default_storage, "open_stream", None)  # a bucket's; the disk's open() is as fast
    try:
        handle, size = open_stream(path) if open_stream else (default_storage.open(path, "rb"), None)
    except OSError:  # missing, or a directory
        raise Http404 from None
    content_type, _encoding = mimetypes.guess_type(path)
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    if size is not None:
        response["Content-Length"] = str(size)
    response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response
