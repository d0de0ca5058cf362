"""Gzipped weight of the main pages with their CSS and JS, and the size of photo thumbnails.

    .venv/bin/python bench/page_weight.py

Runs the production-shaped app (gunicorn, DEBUG off, collected static files) on 127.0.0.1 against a
throw-away embedded PostgreSQL with the demo data (`manage.py seed_demo`) and a published event of
105 confirmed cars. Each page's HTML plus every stylesheet and script it links from this site is
gzipped (level 6, like a typical proxy) and summed; images and photos are left out. Goals: ≤ 100 KB
per page; thumbnails made by register.photos ≤ 60 KB.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from html.parser import HTMLParser

from common import collectstatic, harness, production_env

GOAL_PAGE = 100 * 1024
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


def page_weights(port: int, pages: dict[str, str]) -> None:
    cache: dict[str, tuple[int, int]] = {}
    print(f"{'page':<34} {'HTML KB':>8} {'HTML gz':>8} {'CSS+JS gz':>10} {'total gz':>9}  goal ≤ 100 KB")
    for label, path in pages.items():
        response = harness.request(port, "GET", path, timeout=120)
        assert response.status == 200, f"{path}: {response.status}"
        parser = Assets()
        parser.feed(response.body.decode())
        assets_gz = 0
        for url in parser.urls:
            if re.match(r"^(https?:)?//", url):
                raise SystemExit(f"{path} links an external asset: {url}")
            if url not in cache:
                asset = harness.request(port, "GET", url)
                assert asset.status == 200, f"{url}: {asset.status}"
                cache[url] = (len(asset.body), gz(asset.body))
            assets_gz += cache[url][1]
        html_gz = gz(response.body)
        total = html_gz + assets_gz
        verdict = "ok" if total <= GOAL_PAGE else "OVER"
        print(
            f"{label:<34} {len(response.body) / 1024:>8.1f} {html_gz / 1024:>8.1f} {assets_gz / 1024:>10.1f} "
            f"{total / 1024:>9.1f}  {verdict}"
        )
    print("# assets:", ", ".join(f"{u} {raw / 1024:.0f} KB → {z / 1024:.1f} KB gz" for u, (raw, z) in cache.items()))


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
        collectstatic(db)
        event = db.query("SELECT slug FROM events_event WHERE slug <> %s ORDER BY starts_on DESC LIMIT 1", ("x",))
        car = db.query("SELECT register_number FROM register_car WHERE status = 'verified' ORDER BY 1 LIMIT 1")
        pages = {
            "/ (home)": "/",
            "/register/": "/register/",
            "/register/stats/": "/register/stats/",
            f"/register/cars/{car[0][0]}/": f"/register/cars/{car[0][0]}/",
            "/events/": "/events/",
            f"/events/{event[0][0]}/": f"/events/{event[0][0]}/",
            f"/events/{roster['event']}/roster/ (105)": f"/events/{roster['event']}/roster/",
        }
        server = harness.start_gunicorn(db, **production_env(db))
        try:
            page_weights(server.port, pages)
        finally:
            server.stop()
        thumbnail_sizes(db)


if __name__ == "__main__":
    main()
