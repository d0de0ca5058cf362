"""Hostile uploads through the real photos page: refused with a message next to the field, or cleaned."""

from __future__ import annotations

import html
import re
import struct
import zlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import ExifTags, Image

from register.models import CarPhoto
from tests.security.conftest import jpeg_bytes
from tests.storage import read

NOT_A_PHOTO = "This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC image."
DAMAGED = "This photo is damaged or incomplete. Please upload it again or choose another file."


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def png_bytes() -> bytes:
    buf = BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (120, 80), (226, 97, 27))
    exif = img.getexif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 20.0, 8.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (6.0, 56.0, 30.0)
    buf = BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    buf = BytesIO()
    Image.effect_noise((400, 300), 60).convert("RGB").save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    return data[: len(data) * 2 // 3]


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML_TAIL = b"<html><script>alert(document.cookie)</script></html>"


def stored_files(media_root) -> set[str]:
    return {str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()}


def post_upload(world, data: bytes, name: str, content_type: str):
    client = world.client("owner")
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(reverse("register:car_photos", args=[world.car.pk]), {"image": upload, "caption": "x"})


def field_error(response) -> str:
    """The text of the error crispy renders under the image field (and nowhere else)."""
    match = re.search(
        r'<(?:span|div|p) id="error_1_id_image"[^>]*>(.*?)</(?:span|div|p)>', response.content.decode(), re.S
    )
    assert match, "no error next to the image field"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.mark.parametrize(
    ("data", "name", "content_type", "message"),
    [
        pytest.param(
            png_claiming(60_000, 60_000), "bomb.png", "image/png", "too many pixels", id="decompression-bomb"
        ),
        pytest.param(SVG, "logo.svg", "image/svg+xml", NOT_A_PHOTO, id="svg"),
        pytest.param(SVG, "logo.jpg", "image/jpeg", NOT_A_PHOTO, id="svg-renamed-jpg"),
        pytest.param(truncated_jpeg(), "cut.jpg", "image/jpeg", DAMAGED, id="truncated-jpeg"),
        pytest.param(b"just some text\n" * 20, "notes.jpg", "image/jpeg", NOT_A_PHOTO, id="text-renamed-jpg"),
        pytest.param(b"<html><body>hi</body></html>", "page.jpg", "image/jpeg", NOT_A_PHOTO, id="html-renamed-jpg"),
    ],
)
def test_upload_bad_file_is_refused_next_to_the_field(world, media_root, data, name, content_type, message):
    files_before = stored_files(media_root)

    response = post_upload(world, data, name, content_type)

    assert response.status_code == 200
    assert message in field_error(response)
    assert list(CarPhoto.objects.filter(car=world.car)) == [world.photo]
    assert stored_files(media_root) == files_before


def test_upload_oversize_file_is_refused_with_the_limit(world, media_root):
    files_before = stored_files(media_root)
    data = jpeg_bytes(size=(300, 300))

    with override_settings(PHOTO_MAX_BYTES=len(data) - 1):
        response = post_upload(world, data, "big.jpg", "image/jpeg")

    assert response.status_code == 200
    assert field_error(response).startswith("This photo is too large. The limit is")
    assert list(CarPhoto.objects.filter(car=world.car)) == [world.photo]
    assert stored_files(media_root) == files_before


def test_upload_empty_file_is_refused(world, media_root):
    response = post_upload(world, b"", "empty.jpg", "image/jpeg")

    assert response.status_code == 200
    assert field_error(response) != ""
    assert CarPhoto.objects.filter(car=world.car).count() == 1


def test_upload_png_with_html_appended_is_stored_without_the_html(world, media_root):
    response = post_upload(world, png_bytes() + HTML_TAIL, "page.png", "image/png")

    assert response.status_code == 302
    photo = CarPhoto.objects.filter(car=world.car).exclude(pk=world.photo.pk).get()
    for field in (photo.image, photo.display, photo.thumbnail):
        content = (media_root / field.name).read_bytes()
        assert b"<script" not in content
        assert b"<html" not in content
        assert field.name.endswith(".jpg")


def test_upload_jpeg_with_gps_is_stored_without_any_exif(storage_backend, world):
    # On the disk and in the object store's bucket alike (storage_backend first: world's photo goes there too).
    data = jpeg_with_gps()
    assert Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the source really has GPS

    response = post_upload(world, data, "IMG_0001.jpg", "image/jpeg")

    assert response.status_code == 302
    photo = CarPhoto.objects.filter(car=world.car).exclude(pk=world.photo.pk).get()
    for field in (photo.image, photo.display, photo.thumbnail):
        content = read(field)
        with Image.open(BytesIO(content)) as stored:
            assert dict(stored.getexif()) == {}
        assert b"Exif" not in content
        assert b"SpyCam" not in content
        assert "IMG_0001" not in field.name  # the uploader's file name is not kept


def test_served_photo_has_nosniff_and_an_image_type(storage_backend, world, client):
    response = client.get(f"/media/{world.photo.image.name}")
    body = b"".join(response.streaming_content)
    response.close()

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body.startswith(b"\xff\xd8")


# Memory per upload ---------------------------------------------------------------------------------------------


def flat_png(size: tuple[int, int], mode: str = "RGBA") -> bytes:
    buffer = BytesIO()
    colour = {"RGBA": (226, 97, 27, 128), "P": 3}[mode]
    Image.new(mode, size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_over_the_memory_budget_is_refused_with_a_clear_message(world, media_root):
    # The file: 208 KB, 7000 × 7000 RGBA, under the pixel cap; 196 MB once decoded.
    files_before = stored_files(media_root)

    response = post_upload(world, flat_png((7000, 7000)), "huge.png", "image/png")

    assert response.status_code == 200
    assert field_error(response) == (
        "This photo needs too much memory to process: 7000 × 7000 pixels. Photos of this kind (PNG, WebP or "
        "HEIC, or transparency) can have at most 25 megapixels; please upload a smaller version or a JPEG."
    )
    assert list(CarPhoto.objects.filter(car=world.car)) == [world.photo]
    assert stored_files(media_root) == files_before


def test_upload_at_the_memory_budget_is_accepted_and_stored_scaled_down(world, media_root):
    # The largest RGBA PNG within the default budget (96 MiB at four bytes per pixel): 5016 × 5016.
    response = post_upload(world, flat_png((5016, 5016)), "largest.png", "image/png")

    photo = CarPhoto.objects.filter(car=world.car).exclude(pk=world.photo.pk).get()
    assert response.status_code == 302
    assert (photo.width, photo.height) == (2508, 2508)
    assert photo.image.name.endswith(".webp")


@pytest.mark.parametrize(("size", "accepted"), [((1024, 1024), True), ((1024, 1025), False)])
def test_memory_budget_is_pixels_times_bytes_per_pixel(world, media_root, size, accepted):
    with override_settings(PHOTO_DECODE_MAX_BYTES=4 * 1024 * 1024):
        response = post_upload(world, flat_png(size), "edge.png", "image/png")

    assert (response.status_code == 302) is accepted
    assert CarPhoto.objects.filter(car=world.car).count() == (2 if accepted else 1)


def test_large_jpeg_is_decoded_downscaled_within_the_budget(world, media_root):
    # 6400 × 4800 is 123 MB decoded whole, over the budget: accepted because the JPEG decoder scales it.
    response = post_upload(world, jpeg_bytes(size=(6400, 4800)), "camera.jpg", "image/jpeg")

    photo = CarPhoto.objects.filter(car=world.car).exclude(pk=world.photo.pk).get()
    assert response.status_code == 302
    assert (photo.width, photo.height) == (3200, 2400)


def test_large_palette_png_is_scaled_down_too(world, media_root):
    response = post_upload(world, flat_png((6500, 100), mode="P"), "strip.png", "image/png")

    photo = CarPhoto.objects.filter(car=world.car).exclude(pk=world.photo.pk).get()
    assert response.status_code == 302
    assert (photo.width, photo.height) == (2167, 34)
