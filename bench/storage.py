"""Photo upload and photo serving: local disk vs object storage (SeaweedFS), side by side in one run.

    .venv/bin/python bench/storage.py [--uploads 24] [--blocks 4] [--gets 200] [--size 3000x2000]

One throw-away embedded PostgreSQL and one SeaweedFS (config/objectstore.py), both in a temporary directory and
deleted afterwards; two gunicorns as `make serve` (DEBUG off, 1 worker × 2 gthread threads each) on the same
database: one with the photos on the disk (MEDIA_ROOT), one with the S3_* settings of the SeaweedFS. A logged-in
owner POSTs the real upload form (register:car_photos, multipart, a camera-like JPEG made with Pillow) to each in
turn, in alternating blocks (ABBA) so that both share the machine's load; each upload is decoded, cleaned, stored
in three sizes (register/photos.py) and answered with a redirect. Then each server serves the thumbnails it stored
(GET /media/…, a fresh connection each, as browsers arriving one by one). Last, `manage.py shell` in each storage's
environment times the storage alone: the three files of one processed photo saved, the thumbnail read back.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from io import BytesIO
from pathlib import Path

from kit import harness, production_env

from config import objectstore

WARM_UP = 2  # uploads per server before the clock starts (imports, codecs, connections)
CSRF_SECRET = "benchcsrfsecretbenchcsrfsecretbe"  # 32 allowed characters: Django 5.2 accepts it unmasked
BOUNDARY = "----onem-bench-boundary"


def camera_jpeg(width: int, height: int) -> bytes:
    """A JPEG like a phone camera's: grain on a gradient, quality 90."""
    from PIL import Image

    grain = Image.effect_noise((width // 4, height // 4), 40).convert("RGB").resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = BytesIO()
    Image.blend(grain, gradient, 0.5).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def multipart(photo: bytes) -> bytes:
    def field(name: str, value: str) -> bytes:
        return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()

    parts = [
        field("csrfmiddlewaretoken", CSRF_SECRET),
        field("caption", "Bench"),
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="IMG_0001.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + b"\r\n",
        f"--{BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts)


def upload(port: int, owner: dict, body: bytes) -> float:
    """Seconds for one upload POST (answered 302 back to the photos page once the photo is stored)."""
    path = f"/garage/cars/{owner['car']}/photos/"
    headers = {
        "Cookie": f"sessionid={owner['sessionid']}; csrftoken={CSRF_SECRET}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Origin": f"http://127.0.0.1:{port}",
    }
    started = time.perf_counter()
    response = harness.request(port, "POST", path, body=body, headers=headers, timeout=120)
    elapsed = time.perf_counter() - started
    if (response.status, response.headers.get("location")) != (302, path):
        raise RuntimeError(f"upload answered {response.status}: {response.body[:300]!r}")
    return elapsed


def newest_thumbnail(db: harness.Database) -> str:
    return db.query("SELECT thumbnail FROM register_carphoto ORDER BY id DESC LIMIT 1")[0][0]


def serve(port: int, name: str) -> float:
    started = time.perf_counter()
    response = harness.request(port, "GET", f"/media/{name}")
    elapsed = time.perf_counter() - started
    if response.status != 200 or not response.body.startswith(b"\xff\xd8"):
        raise RuntimeError(f"GET /media/{name} answered {response.status}")
    return elapsed


# Run by `manage.py shell` in each storage's environment: the storage's own cost, without the request and Pillow.
STORAGE_ALONE = """
import json, sys, time
from django.core.files.storage import default_storage
from register.photos import process_image
with open(sys.argv[-1], "rb") as handle:
    processed = process_image(handle)
files = [processed.image, processed.display, processed.thumbnail]
saves, reads, names = [], [], []
for i in range(ROUNDS):
    started = time.perf_counter()
    names.append([default_storage.save(f"bench/{i}-{file.name}", file) for file in files])
    saves.append(time.perf_counter() - started)
for three in names:
    started = time.perf_counter()
    with default_storage.open(three[2], "rb") as handle:
        handle.read()
    reads.append(time.perf_counter() - started)
for three in names:
    for name in three:
        default_storage.delete(name)
print(json.dumps({"saves": saves, "reads": reads, "sizes": [file.size for file in files]}))
"""


def storage_alone(db: harness.Database, env: dict[str, str], photo_file: Path, rounds: int) -> dict:
    code = STORAGE_ALONE.replace("ROUNDS", str(rounds)).replace("sys.argv[-1]", repr(str(photo_file)))
    out = harness.manage(db, "shell", "-c", code, **env)
    return json.loads(out.strip().splitlines()[-1])


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=24, help="uploads per storage")
    parser.add_argument("--blocks", type=int, default=4, help="alternations per storage")
    parser.add_argument("--gets", type=int, default=200, help="thumbnail GETs per storage")
    parser.add_argument("--size", default="3000x2000", help="the uploaded JPEG's pixels, WxH")
    parser.add_argument("--rounds", type=int, default=50, help="saves and reads of the storage alone")
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.split("x"))
    photo = camera_jpeg(width, height)
    body = multipart(photo)

    with harness.embedded_database() as db, tempfile.TemporaryDirectory(prefix="onem-s3-") as store:
        s3_env = objectstore.start(Path(store))
        try:
            harness.migrate(db)
            [owner] = harness.seed(db, "owners", "--count", "1", "--sessions", "bench")["owners"]
            # The seeder's logged-in sessions are signed with the harness's key.
            app = {**production_env(db), "SECRET_KEY": harness.SECRET_KEY}
            with (
                harness.gunicorns(db, 1, workers=1, threads=2, **app) as [disk],
                harness.gunicorns(db, 1, workers=1, threads=2, **app, **s3_env) as [bucket],
            ):
                servers = {"local disk": disk, "object storage": bucket}
                timings: dict[str, list[float]] = {label: [] for label in servers}
                thumbnails: dict[str, list[str]] = {label: [] for label in servers}
                for server in servers.values():
                    for _ in range(WARM_UP):
                        upload(server.port, owner, body)
                per_block = args.uploads // args.blocks
                order = list(servers)
                for block in range(args.blocks):
                    for label in order if block % 2 == 0 else order[::-1]:
                        for _ in range(per_block):
                            timings[label].append(upload(servers[label].port, owner, body))
                            thumbnails[label].append(newest_thumbnail(db))
                serving: dict[str, list[float]] = {label: [] for label in servers}
                for i in range(args.gets):
                    for label in order if i % 2 == 0 else order[::-1]:
                        names = thumbnails[label]
                        serving[label].append(serve(servers[label].port, names[i % len(names)]))
            photo_file = Path(store) / "photo.jpg"
            photo_file.write_bytes(photo)
            alone = {
                "local disk": storage_alone(db, {**app, "MEDIA_ROOT": str(db.tmp / "media")}, photo_file, args.rounds),
                "object storage": storage_alone(db, {**app, **s3_env}, photo_file, args.rounds),
            }
        finally:
            objectstore.stop(store)

    print(
        f"photo upload: a {width}×{height} JPEG of {len(photo) / 1024 / 1024:.1f} MB, {per_block * args.blocks} per "
        f"storage in {args.blocks} alternating blocks; gunicorn 1 worker × 2 threads per storage"
    )
    print(f"{'':>16} {'upload p50 ms':>14} {'upload p95 ms':>14} {'thumbnail GET p50 ms':>21} {'p95 ms':>8}")
    for label in servers:
        up, get = timings[label], serving[label]
        print(
            f"{label:>16} {statistics.median(up) * 1000:14.0f} {percentile(up, 0.95) * 1000:14.0f}"
            f" {statistics.median(get) * 1000:21.1f} {percentile(get, 0.95) * 1000:8.1f}"
        )
    ratio = statistics.median(timings["object storage"]) / statistics.median(timings["local disk"])
    print(f"upload p50 ratio object storage / local disk: {ratio:.2f}×")
    sizes = " + ".join(f"{size / 1024:.0f} kB" for size in alone["local disk"]["sizes"])
    print(f"the storage alone, one process, {args.rounds} rounds: a photo saved ({sizes}), its thumbnail read")
    print(f"{'':>16} {'save p50 ms':>12} {'save p95 ms':>12} {'read p50 ms':>12} {'read p95 ms':>12}")
    for label, figures in alone.items():
        saves, reads = figures["saves"], figures["reads"]
        print(
            f"{label:>16} {statistics.median(saves) * 1000:12.1f} {percentile(saves, 0.95) * 1000:12.1f}"
            f" {statistics.median(reads) * 1000:12.1f} {percentile(reads, 0.95) * 1000:12.1f}"
        )


if __name__ == "__main__":
    main()
