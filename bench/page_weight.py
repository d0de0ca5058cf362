"""Weight of the main pages as a browser receives them, with their CSS and JS, and the size of thumbnails.

    .venv/bin/python bench/page_weight.py

Runs the production-shaped app (gunicorn, DEBUG off, collected static files) on 127.0.0.1 against a
throw-away embedded PostgreSQL with the demo data (`manage.py seed_demo`) and published events of 105 and
6,342 confirmed cars. Each page is asked for with ``Accept-Encoding: gzip`` as a browser does: "HTML gz" is
the bytes the app sent (gzipped by the app on the public reading pages; anything it sends uncompressed is
gzipped here at level 6, as a proxy would). Stylesheets and scripts the page links are counted gzipped
(whitenoise serves them precompressed); images and photos load lazily and are left out, so the total is
what arrives before the first screen is usable. Goals: ≤ 100 KB per page; the 6,342-car roster ≤ 200 KB;
the 105-car roster's HTML ≤ 30 KB; thumbnails made by register.photos ≤ 60 KB. Also times the first
request of the 6,342-car roster after a change (the page is built) and the next one (served cached).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import time
from html.parser import HTMLParser

from kit import collectstatic, harness, production_env

GOAL_PAGE = 100 * 1024
GOAL_LARGE_ROSTER = 200 * 1024
GOAL_ROSTER_HTML = 30 * 1024
GOAL_THUMB = 60 * 1024


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "") and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_weights(port: int, pages: dict[str, str], goals: dict[str, tuple[str, int]]) -> None:
    """``goals``: label → ("total" or "html", bytes), for pages whose goal is not the default."""
    cache: dict[str, tuple[int, int]] = {}
    print(f"{'page':<40} {'HTML KB':>8} {'HTML gz':>8} {'sent':>5} {'CSS+JS gz':>10} {'total gz':>9}  goal")
    for label, path in pages.items():
        response = harness.request(port, "GET", path, headers={"Accept-Encoding": "gzip"}, timeout=120)
        assert response.status == 200, f"{path}: {response.status}"
        compressed = response.headers.get("content-encoding") == "gzip"
        html = gzip.decompress(response.body) if compressed else response.body
        parser = Assets()
        parser.feed(html.decode())
        assets_gz = 0
        for url in parser.urls:
            if re.match(r"^(https?:)?//", url):
                raise SystemExit(f"{path} links an external asset: {url}")
            if url not in cache:
                asset = harness.request(port, "GET", url)
                assert asset.status == 200, f"{url}: {asset.status}"
                cache[url] = (len(asset.body), gz(asset.body))
            assets_gz += cache[url][1]
        html_gz = len(response.body) if compressed else gz(html)
        total = html_gz + assets_gz
        kind, limit = goals.get(label, ("total", GOAL_PAGE))
        measured = total if kind == "total" else html_gz
        verdict = f"{'ok' if measured <= limit else 'OVER'} ({kind} ≤ {limit // 1024} KB)"
        print(
            f"{label:<40} {len(html) / 1024:>8.1f} {html_gz / 1024:>8.1f} {'gzip' if compressed else 'raw':>5} "
            f"{assets_gz / 1024:>10.1f} {total / 1024:>9.1f}  {verdict}"
        )
    print("# assets:", ", ".join(f"{u} {raw / 1024:.0f} KB → {z / 1024:.1f} KB gz" for u, (raw, z) in cache.items()))


def first_build(db: harness.Database, port: int, path: str) -> None:
    """The roster's first request after a change builds the page; the next is served from the cache."""
    db.query("UPDATE events_rostergeneration SET value = value + 1 WHERE id = 1 RETURNING value")
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        response = harness.request(port, "GET", path, headers={"Accept-Encoding": "gzip"}, timeout=120)
        timings.append(time.perf_counter() - start)
        assert response.status == 200
    print(
        f"# {path}: first request after a change {timings[0] * 1000:.0f} ms (built), next {timings[1] * 1000:.0f} ms"
    )


def sample_images() -> dict[str, tuple[str, bytes]]:
    """Synthetic uploads: smooth 'photos' compress well, noise is the worst case for JPEG."""
    from PIL import Image, ImageDraw

    def encode(img, fmt, **kw):
        out = io.BytesIO()
        img.save(out, format=fmt, **kw)
        return out.getvalue()

    gradient = Image.linear_gradient("L").resize((4032, 3024)).convert("RGB")
    draw = ImageDraw.Draw(gradient)
    for i in range(0, 4032, 160):
        draw.ellipse(
            (i, 600 + (i % 700), i + 400, 1400 + (i % 900)), fill=(226, 97, 27), outline=(20, 20, 20), width=9
        )
    noise = Image.frombytes("RGB", (4032, 3024), os.urandom(4032 * 3024 * 3))
    alpha = Image.frombytes("RGBA", (2000, 1500), os.urandom(2000 * 1500 * 4))
    # Random 8-px blocks: still about one block per pixel at thumbnail size, the hardest case to shrink.
    blocks = Image.frombytes("RGB", (504, 378), os.urandom(504 * 378 * 3)).resize((4032, 3024), Image.NEAREST)
    portrait = gradient.rotate(90, expand=True)
    return {
        "4032×3024 JPEG, smooth": ("smooth.jpg", encode(gradient, "JPEG", quality=92)),
        "4032×3024 JPEG, pure noise": ("noise.jpg", encode(noise, "JPEG", quality=95)),
        "4032×3024 JPEG, random 8-px blocks": ("blocks.jpg", encode(blocks, "JPEG", quality=95)),
        "3024×4032 PNG, smooth (portrait)": ("portrait.png", encode(portrait, "PNG", compress_level=6)),
        "2000×1500 PNG, noise + alpha": ("alpha.png", encode(alpha, "PNG", compress_level=1)),
    }


def thumbnail_sizes(db: harness.Database) -> None:
    os.environ.update(harness.app_env(db))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from register.photos import process_image

    print(f"{'upload':<34} {'upload KB':>10} {'thumb':>6} {'thumb KB':>9} {'display KB':>11}  goal ≤ 60 KB")
    for label, (name, data) in sample_images().items():
        processed = process_image(SimpleUploadedFile(name, data))
        size = processed.thumbnail.size
        verdict = "ok" if size <= GOAL_THUMB else "OVER"
        print(
            f"{label:<34} {len(data) / 1024:>10.0f} {processed.extension:>6} {size / 1024:>9.1f} "
            f"{processed.display.size / 1024:>11.1f}  {verdict}"
        )


def main() -> None:
    with harness.embedded_database() as db:
        harness.migrate(db)
        harness.manage(db, "seed_demo")
        roster = harness.seed(db, "roster", "--event", "roster-105", "--confirmed", "105")
        large = harness.seed(
            db, "roster", "--event", "roster-6342", "--confirmed", "6342", "--offset", "200000", timeout=600
        )
        collectstatic(db)
        event = db.query(
            "SELECT slug FROM events_event WHERE slug NOT LIKE 'roster-%%' ORDER BY starts_on DESC LIMIT 1"
        )
        car = db.query("SELECT register_number FROM register_car WHERE status = 'verified' ORDER BY 1 LIMIT 1")
        small_label = f"/events/{roster['event']}/roster/ (105)"
        large_label = f"/events/{large['event']}/roster/ (6342)"
        pages = {
            "/ (home)": "/",
            "/register/": "/register/",
            "/register/stats/": "/register/stats/",
            f"/register/cars/{car[0][0]}/": f"/register/cars/{car[0][0]}/",
            "/events/": "/events/",
            f"/events/{event[0][0]}/": f"/events/{event[0][0]}/",
            small_label: f"/events/{roster['event']}/roster/",
            large_label: f"/events/{large['event']}/roster/",
        }
        goals = {small_label: ("html", GOAL_ROSTER_HTML), large_label: ("total", GOAL_LARGE_ROSTER)}
        server = harness.start_gunicorn(db, workers=1, **production_env(db))
        try:
            first_build(db, server.port, f"/events/{large['event']}/roster/")
            page_weights(server.port, pages, goals)
        finally:
            server.stop()
        thumbnail_sizes(db)


if __name__ == "__main__":
    main()
