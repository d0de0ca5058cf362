"""Car photos: every upload is decoded, checked and re-encoded before anything is stored.

Nothing of the uploaded file survives except its pixels: no EXIF (GPS, camera serial), no XMP,
no ICC profile (colours are converted to sRGB first), no bytes appended after the image data,
and no file name chosen by the uploader.
"""

from __future__ import annotations

import math
import struct
import threading
import uuid
from dataclasses import dataclass
from io import BytesIO

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from register.models import Car, CarPhoto

# Once, at import: lets Pillow open HEIC/HEIF, the default format of iPhone cameras.
pillow_heif.register_heif_opener()

# The only decoders Pillow may try. A JPEG with extra multi-picture frames (many phone
# cameras write those) is opened by the JPEG decoder but reported as "MPO".
DECODERS = ("JPEG", "PNG", "WEBP", "HEIF")
ACCEPTED_FORMATS = (*DECODERS, "MPO")
Image.init()
# The stored "original": photos larger than this on the long side are scaled down to it.
STORED_MAX = 3200
DISPLAY_MAX = (1600, 1600)
THUMBNAIL_MAX = (400, 300)
THUMBNAIL_MAX_BYTES = 60 * 1024
JPEG_QUALITY = 85
THUMBNAIL_QUALITIES = (80, 70, 60, 50, 40, 30)

# Decoders raise a mixed bag for broken input; all of them mean "not a usable image".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, struct.error)
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class ProcessedImage:
    """A cleaned photo in three sizes, each a ``ContentFile`` with a server-chosen name."""

    image: ContentFile
    display: ContentFile
    thumbnail: ContentFile
    width: int
    height: int
    extension: str


def _invalid(code: str) -> ValidationError:
    messages = {
        "invalid_image": _("This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC image."),
        "corrupt_image": _("This photo is damaged or incomplete. Please upload it again or choose another file."),
    }
    return ValidationError(messages[code], code=code)


def _read_limited(upload) -> bytes:
    limit = settings.PHOTO_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        data = b""
    else:
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if (size is not None and size > limit) or len(data) > limit:
        raise ValidationError(
            _("This photo is too large. The limit is %(limit)s per photo.") % {"limit": filesizeformat(limit)},
            code="file_too_large",
        )
    if not data:
        raise ValidationError(_("The file is empty."), code="empty_file")
    return data


# One process decodes at most PHOTO_DECODES_AT_ONCE photos at a time: each may hold up to
# PHOTO_DECODE_MAX_BYTES of pixels, so a burst of uploads cannot multiply that (bench/upload_memory.py).
_decode_slots = threading.BoundedSemaphore(settings.PHOTO_DECODES_AT_ONCE)
DECODE_WAIT_SECONDS = 30


def _bytes_per_pixel(img: Image.Image) -> int:
    # How Pillow stores a decoded pixel: one byte for 1, L and P; two for 16-bit grey; four for the
    # rest (RGB is stored as 32-bit RGBX, like RGBA and CMYK). libwebp first decodes into a buffer of
    # its own, which Pillow then copies: a WebP holds its pixels twice (bench/upload_memory.py).
    if img.mode in ("1", "L", "P"):
        per_pixel = 1
    elif img.mode.startswith("I;16"):
        per_pixel = 2
    else:
        per_pixel = 4
    return per_pixel * 2 if img.format == "WEBP" else per_pixel


def _over_budget(img: Image.Image) -> ValidationError:
    per_pixel = _bytes_per_pixel(img)
    return ValidationError(
        _(
            "This photo needs too much memory to process: %(width)d × %(height)d pixels. Photos of this kind "
            "(PNG, WebP or HEIC, or transparency) can have at most %(limit)s megapixels; please upload a smaller "
            "version or a JPEG."
        )
        % {
            "width": img.width,
            "height": img.height,
            "limit": f"{settings.PHOTO_DECODE_MAX_BYTES / per_pixel / 1_000_000:.0f}",
        },
        code="over_memory_budget",
    )


def _decode_downscaled(img: Image.Image) -> Image.Image:
    """Decode within the memory budget, at no more than ``STORED_MAX`` pixels on the long side.

    A JPEG is decoded at 1/2, 1/4 or 1/8 of its size straight away (``draft``), so a large photo
    costs little; other formats decode whole, so they must fit ``PHOTO_DECODE_MAX_BYTES`` as
    they are, and are reduced right after. The budget is pixels × bytes per decoded pixel.
    """
    if img.format in ("JPEG", "MPO"):
        # draft keeps both sides at least as large as asked: ask for the stored size, same shape.
        scale = STORED_MAX / max(img.size)
        if scale < 1:
            img.draft(img.mode, (math.ceil(img.width * scale), math.ceil(img.height * scale)))
    if img.width * img.height * _bytes_per_pixel(img) > settings.PHOTO_DECODE_MAX_BYTES:
        raise _over_budget(img)
    img.load()
    factor = math.ceil(max(img.size) / STORED_MAX)
    if factor > 1:
        try:
            reduced = img.reduce(factor)
        except ValueError:
            # reduce() has no palette, 1-bit or 16-bit grey version; those are scaled by picking pixels.
            size = (math.ceil(img.width / factor), math.ceil(img.height / factor))
            reduced = img.resize(size, Image.Resampling.NEAREST)
        reduced.info = img.info
        img.close()
        img = reduced
    return img


def _open_checked(data: bytes) -> Image.Image:
    """Read the header only, check format, pixel count and memory budget, then decode."""
    too_many_pixels = ValidationError(
        _("This photo has too many pixels (at most %(limit)s megapixels). Please upload a smaller version.")
        % {"limit": f"{settings.PHOTO_MAX_PIXELS / 1_000_000:g}"},
        code="too_many_pixels",
    )
    # Pillow itself warns (DecompressionBombWarning) above Image.MAX_IMAGE_PIXELS and raises
    # DecompressionBombError above twice that; the warning is an exception only where warnings
    # are errors (the tests). Either way the upload is refused: by Pillow or by the check below,
    # which runs on the header alone, before any pixel is decoded. No global state is changed.
    try:
        img = Image.open(BytesIO(data), formats=DECODERS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except _DECODE_ERRORS:
        raise _invalid("invalid_image") from None
    if img.format not in ACCEPTED_FORMATS:
        raise _invalid("invalid_image")
    width, height = img.size
    if width < 1 or height < 1:
        raise _invalid("corrupt_image")
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise too_many_pixels
    try:
        img = _decode_downscaled(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except _DECODE_ERRORS:
        raise _invalid("corrupt_image") from None
    return img


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info)


def _to_srgb(img: Image.Image) -> Image.Image:
    """Plain RGB (or RGBA) pixels in sRGB, so the uploaded ICC profile can be dropped."""
    target_mode = "RGBA" if _has_alpha(img) else "RGB"
    icc = img.info.get("icc_profile")
    if icc:
        source = img if img.mode in ("RGB", "RGBA", "CMYK", "L") else img.convert(target_mode)
        try:
            return ImageCms.profileToProfile(
                source, ImageCms.ImageCmsProfile(BytesIO(icc)), _SRGB, outputMode=target_mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # An unreadable or mismatched profile: keep the pixels as they are.
            pass
    return img if img.mode == target_mode else img.convert(target_mode)


def _clean_copy(img: Image.Image) -> Image.Image:
    """Pixels only: a fresh image that carries no metadata from the upload."""
    clean = Image.new(img.mode, img.size)
    clean.paste(img)
    clean.info = {}
    return clean


def _encode(img: Image.Image, fmt: str, quality: int) -> bytes:
    out = BytesIO()
    if fmt == "JPEG":
        img.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    else:
        img.save(out, format="WEBP", quality=quality, alpha_quality=quality, method=4)
    return out.getvalue()


def _resized(img: Image.Image, box: tuple[int, int]) -> Image.Image:
    copy = img.copy()
    copy.thumbnail(box, Image.Resampling.LANCZOS)
    return copy


def process_image(upload) -> ProcessedImage:
    """Check an uploaded photo and return it re-encoded in three sizes.

    Accepts JPEG, PNG, WebP and HEIC/HEIF up to ``PHOTO_MAX_BYTES`` bytes and
    ``PHOTO_MAX_PIXELS`` pixels whose decoded pixels fit ``PHOTO_DECODE_MAX_BYTES``; the
    largest size kept is ``STORED_MAX`` on the long side. EXIF orientation is applied, then
    every piece of metadata is dropped. Photos without transparency become JPEG, with
    transparency WebP. At most ``PHOTO_DECODES_AT_ONCE`` photos are processed at a time per
    process. Raises ``ValidationError`` with a message for the uploader on any problem.
    """
    data = _read_limited(upload)
    if not _decode_slots.acquire(timeout=DECODE_WAIT_SECONDS):
        raise ValidationError(
            _("Many photos are being uploaded right now. Please try again in a minute."), code="busy"
        )
    try:
        return _process(data)
    finally:
        _decode_slots.release()


def _process(data: bytes) -> ProcessedImage:
    img = _open_checked(data)
    try:
        img = ImageOps.exif_transpose(img)
        img = _clean_copy(_to_srgb(img))
    except _DECODE_ERRORS:
        raise _invalid("corrupt_image") from None

    fmt, extension = ("WEBP", "webp") if img.mode == "RGBA" else ("JPEG", "jpg")
    display = _resized(img, DISPLAY_MAX)
    thumbnail = _resized(img, THUMBNAIL_MAX)
    thumbnail_bytes = b""
    for quality in THUMBNAIL_QUALITIES:
        thumbnail_bytes = _encode(thumbnail, fmt, quality)
        if len(thumbnail_bytes) <= THUMBNAIL_MAX_BYTES:
            break

    stem = uuid.uuid4().hex
    return ProcessedImage(
        image=ContentFile(_encode(img, fmt, JPEG_QUALITY), name=f"{stem}.{extension}"),
        display=ContentFile(_encode(display, fmt, JPEG_QUALITY), name=f"{stem}_display.{extension}"),
        thumbnail=ContentFile(thumbnail_bytes, name=f"{stem}_thumb.{extension}"),
        width=img.width,
        height=img.height,
        extension=extension,
    )


def _lock_car(car_id: int) -> None:
    # Every photo change of one car takes this lock first, so "exactly one main photo"
    # holds even when uploads, deletions and main-photo changes run at the same time.
    Car.objects.select_for_update().only("pk").get(pk=car_id)


def _delete_files(names: list[str]) -> None:
    for name in names:
        if name:
            CarPhoto._meta.get_field("image").storage.delete(name)


def photo_add(*, car: Car, upload, caption: str = "") -> CarPhoto:
    """Store a cleaned photo for ``car``. A car's first photo becomes its main photo."""
    processed = process_image(upload)
    photo = CarPhoto(car=car, caption=caption, width=processed.width, height=processed.height)
    # Files first (outside the lock); removed again if the row cannot be saved.
    photo.image.save(processed.image.name, processed.image, save=False)
    photo.display.save(processed.display.name, processed.display, save=False)
    photo.thumbnail.save(processed.thumbnail.name, processed.thumbnail, save=False)
    names = [photo.image.name, photo.display.name, photo.thumbnail.name]
    try:
        with transaction.atomic():
            _lock_car(car.pk)
            photo.is_main = not CarPhoto.objects.filter(car_id=car.pk, is_main=True).exists()
            photo.save()
    except Exception:
        _delete_files(names)
        raise
    return photo


@transaction.atomic
def photo_set_main(*, photo: CarPhoto) -> CarPhoto:
    """Make ``photo`` its car's main photo; the previous main photo stops being main."""
    _lock_car(photo.car_id)
    photos = list(CarPhoto.objects.select_for_update().filter(car_id=photo.car_id))
    target = next((p for p in photos if p.pk == photo.pk), None)
    if target is None:
        raise CarPhoto.DoesNotExist
    if not target.is_main:
        # Unset first: the unique constraint allows only one main photo at any moment.
        CarPhoto.objects.filter(car_id=photo.car_id, is_main=True).update(is_main=False)
        target.is_main = True
        target.save(update_fields=["is_main"])
    photo.is_main = True
    return target


@transaction.atomic
def photo_delete(*, photo: CarPhoto) -> None:
    """Delete a photo and its files; if it was the main photo, the oldest remaining one becomes main."""
    _lock_car(photo.car_id)
    target = CarPhoto.objects.select_for_update().filter(pk=photo.pk).first()
    if target is None:
        return
    names = [target.image.name, target.display.name, target.thumbnail.name]
    was_main = target.is_main
    target.delete()
    if was_main:
        oldest = CarPhoto.objects.filter(car_id=photo.car_id).order_by("created", "pk").first()
        if oldest is not None:
            oldest.is_main = True
            oldest.save(update_fields=["is_main"])
    # Files go only once the row is really gone.
    transaction.on_commit(lambda: _delete_files(names))
