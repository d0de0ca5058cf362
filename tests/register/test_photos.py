from __future__ import annotations

import random
import re
import struct
import zlib
from io import BytesIO

import pillow_heif
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms

from events.marshal import marshal_sheet_pdf
from register.models import CarPhoto
from register.photos import photo_add, photo_delete, photo_set_main, process_image
from tests.factories import CarFactory, SessionFactory
from tests.storage import files_under, read

STORED_NAME = re.compile(r"^cars/[0-9a-f]{32}(_display|_thumb)?\.(jpg|webp)$")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt="JPEG", size=(200, 100), mode="RGB", colour=(226, 97, 27), **save_kwargs) -> bytes:
    img = Image.new(mode, size, colour)
    buf = BytesIO()
    img.save(buf, format=fmt, **save_kwargs)
    return buf.getvalue()


def noisy_jpeg(size=(2000, 1500)) -> bytes:
    # Random noise is the worst case for compression: a fair test of the thumbnail size limit.
    img = Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3))
    buf = BytesIO()
    img.save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries almost no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")
    )


def jpeg_with_gps_and_orientation(orientation=1) -> bytes:
    img = Image.new("RGB", (200, 100), (226, 97, 27))
    exif = img.getexif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 20.0, 8.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (6.0, 56.0, 30.0)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = BytesIO()
    img.save(buf, format="JPEG", exif=exif, xmp=b"<x:xmpmeta>home address</x:xmpmeta>", icc_profile=srgb)
    return buf.getvalue()


def stored_files(photo: CarPhoto) -> list:
    return [photo.image, photo.display, photo.thumbnail]


def read_image(field_file) -> Image.Image:
    return Image.open(BytesIO(read(field_file)))


def exist(files) -> list[bool]:
    return [file.storage.exists(file.name) for file in files]


def error_code(excinfo) -> str:
    return excinfo.value.code


# --- process_image: what is accepted and how it is cleaned ------------------------------------


def test_source_jpeg_really_has_gps_and_xmp():
    # Guards the next test: the input carries what must be removed.
    img = Image.open(BytesIO(jpeg_with_gps_and_orientation()))

    assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert "xmp" in img.info
    assert "icc_profile" in img.info


@pytest.mark.django_db
def test_photo_add_jpeg_with_gps_stores_no_metadata_in_any_file(storage_backend):
    car = CarFactory()

    photo = photo_add(car=car, upload=upload(jpeg_with_gps_and_orientation()))

    for file in stored_files(photo):
        stored = read_image(file)
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in stored.info
        assert "xmp" not in stored.info
        assert "icc_profile" not in stored.info
        assert b"home address" not in read(file)
        assert b"Canon" not in read(file)


@pytest.mark.django_db
def test_photo_add_orientation_6_is_applied(storage_backend):
    car = CarFactory()

    photo = photo_add(car=car, upload=upload(jpeg_with_gps_and_orientation(orientation=6)))

    assert (photo.width, photo.height) == (100, 200)
    assert read_image(photo.image).size == (100, 200)
    assert read_image(photo.display).size == (100, 200)
    assert read_image(photo.thumbnail).size == (100, 200)


def test_process_image_orientation_6_turns_the_pixels():
    # Left half orange, right half white; after a 90° clockwise turn the top is orange.
    img = Image.new("RGB", (200, 100), (255, 255, 255))
    img.paste((226, 97, 27), (0, 0, 100, 100))
    exif = img.getexif()
    exif[ExifTags.Base.Orientation] = 6
    buf = BytesIO()
    img.save(buf, format="JPEG", exif=exif, quality=95)

    result = process_image(upload(buf.getvalue()))

    stored = Image.open(BytesIO(result.image.read()))
    top_r, top_g, top_b = stored.getpixel((50, 20))
    bottom = stored.getpixel((50, 180))
    assert top_r > 200 and top_g < 130 and top_b < 60
    assert min(bottom) > 230


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (100_000, 100_000),  # far beyond Pillow's own limit: Pillow raises DecompressionBombError
        (10_000, 10_000),  # between Pillow's limit and twice that: Pillow only warns
        (8_000, 7_000),  # below Pillow's limit, above PHOTO_MAX_PIXELS (50 MP)
    ],
)
def test_process_image_decompression_bomb_header_is_refused(width, height):
    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(png_header(width, height), name="bomb.png", content_type="image/png"))

    assert error_code(excinfo) == "too_many_pixels"
    assert excinfo.value.messages == [
        "This photo has too many pixels (at most 50 megapixels). Please upload a smaller version."
    ]


def test_process_image_bomb_is_refused_where_pillow_only_warns():
    # Production does not turn warnings into errors: the project's own pixel check must refuse it.
    with pytest.warns(Image.DecompressionBombWarning), pytest.raises(ValidationError) as excinfo:
        process_image(upload(png_header(10_000, 10_000), name="bomb.png", content_type="image/png"))

    assert error_code(excinfo) == "too_many_pixels"


def test_process_image_real_png_over_the_pixel_limit_is_refused(settings):
    settings.PHOTO_MAX_PIXELS = 10_000

    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(image_bytes("PNG", size=(101, 100)), name="big.png", content_type="image/png"))

    assert error_code(excinfo) == "too_many_pixels"


def test_process_image_real_png_at_the_pixel_limit_is_accepted(settings):
    settings.PHOTO_MAX_PIXELS = 10_000

    result = process_image(upload(image_bytes("PNG", size=(100, 100)), name="ok.png", content_type="image/png"))

    assert (result.width, result.height) == (100, 100)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"just some text, not a photo\n" * 20, "notes.jpg", "invalid_image"),
        (SVG, "car.svg", "invalid_image"),
        (SVG, "car.jpg", "invalid_image"),
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "car.pdf", "invalid_image"),
        (image_bytes("GIF", mode="P", colour=3), "car.gif", "invalid_image"),
        (image_bytes("GIF", mode="P", colour=3), "car.jpg", "invalid_image"),
        (image_bytes("BMP"), "car.jpg", "invalid_image"),
        (image_bytes("TIFF"), "car.jpg", "invalid_image"),
        (noisy_jpeg((400, 300))[:3000], "truncated.jpg", "corrupt_image"),
        (b"", "empty.jpg", "empty_file"),
    ],
)
def test_process_image_bad_file_is_refused(data, name, code):
    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(data, name=name))

    assert error_code(excinfo) == code


def test_process_image_non_image_message_names_the_accepted_formats():
    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(b"hello", name="hello.jpg"))

    assert excinfo.value.messages == ["This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC image."]


def test_process_image_truncated_jpeg_message():
    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(noisy_jpeg((400, 300))[:3000]))

    assert excinfo.value.messages == [
        "This photo is damaged or incomplete. Please upload it again or choose another file."
    ]


@pytest.mark.django_db
def test_process_image_refuses_a_truncated_jpeg_after_a_marshal_sheet_was_printed():
    # WeasyPrint, imported for the sheet, switches on Pillow's LOAD_TRUNCATED_IMAGES process-wide.
    marshal_sheet_pdf(SessionFactory())

    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(noisy_jpeg((400, 300))[:3000]))

    assert excinfo.value.messages == [
        "This photo is damaged or incomplete. Please upload it again or choose another file."
    ]


def test_process_image_oversize_file_is_refused_with_the_limit(settings):
    settings.PHOTO_MAX_BYTES = 1000
    data = noisy_jpeg((100, 100))
    assert len(data) > 1000

    with pytest.raises(ValidationError) as excinfo:
        process_image(upload(data))

    assert error_code(excinfo) == "file_too_large"
    assert excinfo.value.messages == ["This photo is too large. The limit is 1000\xa0bytes per photo."]


def test_process_image_file_at_the_byte_limit_is_accepted(settings):
    data = image_bytes("JPEG")
    settings.PHOTO_MAX_BYTES = len(data)

    result = process_image(upload(data))

    assert (result.width, result.height) == (200, 100)


def test_process_image_plain_file_object_over_the_limit_is_refused(settings):
    # No .size attribute: the limit is enforced by reading at most limit + 1 bytes.
    settings.PHOTO_MAX_BYTES = 1000

    with pytest.raises(ValidationError) as excinfo:
        process_image(BytesIO(noisy_jpeg((100, 100))))

    assert error_code(excinfo) == "file_too_large"


@pytest.mark.django_db
def test_photo_add_png_with_html_appended_drops_the_html():
    car = CarFactory()
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    data = image_bytes("PNG", size=(120, 80)) + html

    photo = photo_add(car=car, upload=upload(data, name="car.png", content_type="image/png"))

    assert (photo.width, photo.height) == (120, 80)
    for file in stored_files(photo):
        content = read(file)
        assert b"<script" not in content
        assert b"<html" not in content


def test_process_image_heic_is_accepted_as_jpeg():
    pillow_heif.register_heif_opener()
    buf = BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (320, 240), (61, 170, 53))).save(buf, quality=80)

    result = process_image(upload(buf.getvalue(), name="IMG_0001.HEIC", content_type="image/heic"))

    assert (result.width, result.height) == (320, 240)
    assert result.extension == "jpg"
    stored = Image.open(BytesIO(result.image.read()))
    assert stored.format == "JPEG"
    assert stored.size == (320, 240)


def test_process_image_webp_is_accepted():
    data = image_bytes("WEBP", size=(300, 200))

    result = process_image(upload(data, name="car.webp", content_type="image/webp"))

    assert (result.width, result.height) == (300, 200)
    assert Image.open(BytesIO(result.image.read())).format == "JPEG"


def test_process_image_transparent_png_keeps_alpha_as_webp():
    data = image_bytes("PNG", size=(300, 200), mode="RGBA", colour=(0, 0, 0, 0))

    result = process_image(upload(data, name="logo.png", content_type="image/png"))

    assert result.extension == "webp"
    stored = Image.open(BytesIO(result.image.read()))
    assert stored.format == "WEBP"
    assert stored.mode == "RGBA"
    assert stored.getpixel((10, 10))[3] == 0


def test_process_image_sizes_and_thumbnail_under_60_kb():
    result = process_image(upload(noisy_jpeg((2000, 1500))))

    assert (result.width, result.height) == (2000, 1500)
    assert Image.open(BytesIO(result.display.read())).size == (1600, 1200)
    assert Image.open(BytesIO(result.thumbnail.read())).size == (400, 300)
    assert result.thumbnail.size <= 60 * 1024


def test_process_image_small_photo_is_not_enlarged():
    result = process_image(upload(image_bytes("JPEG", size=(200, 100))))

    assert Image.open(BytesIO(result.display.read())).size == (200, 100)
    assert Image.open(BytesIO(result.thumbnail.read())).size == (200, 100)


@pytest.mark.django_db
def test_photo_add_ignores_the_uploaders_file_name():
    car = CarFactory()

    photo = photo_add(car=car, upload=upload(image_bytes(), name="../../etc/passwd.php.jpg"), caption="At the Ring")

    assert STORED_NAME.match(photo.image.name)
    assert STORED_NAME.match(photo.display.name)
    assert STORED_NAME.match(photo.thumbnail.name)
    assert "passwd" not in photo.image.name
    assert photo.caption == "At the Ring"


@pytest.mark.django_db
def test_photo_add_refused_upload_stores_nothing(storage_backend):
    car = CarFactory()

    with pytest.raises(ValidationError):
        photo_add(car=car, upload=upload(SVG, name="car.svg"))

    assert CarPhoto.objects.count() == 0
    assert files_under(default_storage) == []


# --- main photo rules ------------------------------------------------------------------------


@pytest.mark.django_db
def test_photo_add_first_photo_is_main_and_later_ones_are_not():
    car = CarFactory()

    first = photo_add(car=car, upload=upload(image_bytes()))
    second = photo_add(car=car, upload=upload(image_bytes()))

    assert first.is_main is True
    assert second.is_main is False
    assert list(CarPhoto.objects.filter(car=car, is_main=True)) == [first]


@pytest.mark.django_db
def test_photo_add_first_photo_of_each_car_is_main():
    car, other_car = CarFactory(), CarFactory()
    photo_add(car=car, upload=upload(image_bytes()))

    other = photo_add(car=other_car, upload=upload(image_bytes()))

    assert other.is_main is True


@pytest.mark.django_db
def test_photo_set_main_moves_the_main_flag():
    car = CarFactory()
    first = photo_add(car=car, upload=upload(image_bytes()))
    second = photo_add(car=car, upload=upload(image_bytes()))

    photo_set_main(photo=second)

    assert list(CarPhoto.objects.filter(car=car, is_main=True)) == [second]
    first.refresh_from_db()
    assert first.is_main is False


@pytest.mark.django_db
def test_photo_set_main_on_the_main_photo_changes_nothing():
    car = CarFactory()
    first = photo_add(car=car, upload=upload(image_bytes()))
    photo_add(car=car, upload=upload(image_bytes()))

    photo_set_main(photo=first)

    assert list(CarPhoto.objects.filter(car=car, is_main=True)) == [first]


@pytest.mark.django_db
def test_photo_set_main_does_not_touch_other_cars():
    car, other_car = CarFactory(), CarFactory()
    photo_add(car=car, upload=upload(image_bytes()))
    second = photo_add(car=car, upload=upload(image_bytes()))
    other_main = photo_add(car=other_car, upload=upload(image_bytes()))

    photo_set_main(photo=second)

    other_main.refresh_from_db()
    assert other_main.is_main is True


@pytest.mark.django_db
def test_photo_delete_removes_row_and_files(storage_backend, django_capture_on_commit_callbacks):
    car = CarFactory()
    photo = photo_add(car=car, upload=upload(image_bytes()))
    files = stored_files(photo)
    assert exist(files) == [True, True, True]

    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(photo=photo)

    assert CarPhoto.objects.filter(car=car).count() == 0
    assert exist(files) == [False, False, False]
    assert files_under(default_storage) == []


@pytest.mark.django_db
def test_photo_delete_main_makes_the_oldest_remaining_main():
    car = CarFactory()
    main = photo_add(car=car, upload=upload(image_bytes()))
    oldest_other = photo_add(car=car, upload=upload(image_bytes()))
    photo_add(car=car, upload=upload(image_bytes()))

    photo_delete(photo=main)

    assert list(CarPhoto.objects.filter(car=car, is_main=True)) == [oldest_other]


@pytest.mark.django_db
def test_photo_delete_other_photo_keeps_the_main():
    car = CarFactory()
    main = photo_add(car=car, upload=upload(image_bytes()))
    other = photo_add(car=car, upload=upload(image_bytes()))

    photo_delete(photo=other)

    assert list(CarPhoto.objects.filter(car=car)) == [main]
    assert list(CarPhoto.objects.filter(car=car, is_main=True)) == [main]


@pytest.mark.django_db
def test_photo_delete_keeps_files_until_commit(django_capture_on_commit_callbacks):
    car = CarFactory()
    photo = photo_add(car=car, upload=upload(image_bytes()))
    files = stored_files(photo)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        photo_delete(photo=photo)

    assert len(callbacks) == 1
    assert exist(files) == [True, True, True]
