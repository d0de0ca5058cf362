"""Memory per photo upload: peak RSS growth of one process for each accepted worst case, a refused one,
and 8 concurrent worst-case uploads.

    .venv/bin/python bench/upload_memory.py [--keep DIR]

The files are made with Pillow in a temporary directory (or DIR). Each case runs in a fresh Python process
that sets Django up (no database is touched), processes a small JPEG and PNG to load the codecs, reads its
resident set size (RSS) and resets its peak, runs ``register.photos.process_image`` on the case's file (8
threads at once for the concurrent case) and reports the peak RSS (VmHWM) minus that starting RSS. Goals: at most
300 MB for any accepted file, at most 1 GB for 8 concurrent worst-case uploads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


def _square_within(budget: int, per_pixel: int) -> int:
    side = int((budget // per_pixel) ** 0.5)
    while side * side * per_pixel > budget:
        side -= 1
    return side


def make_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """Worst cases at the limits of config/settings.py: (file, what it is)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    budget, max_pixels = settings.PHOTO_DECODE_MAX_BYTES, settings.PHOTO_MAX_PIXELS
    side = _square_within(budget, 4)  # RGB and RGBA are four bytes per pixel once decoded
    webp_side = _square_within(budget, 8)  # a WebP's pixels are held twice while decoding
    width = int((max_pixels * 3 / 2) ** 0.5)  # 3:2 at the pixel cap
    height = max_pixels // width
    files = {}

    def save(name: str, image, fmt: str, what: str, **kwargs) -> None:
        path = folder / name
        if not path.exists():
            image.save(path, format=fmt, **kwargs)
        files[name] = (path, what)

    # A camera-like JPEG at the pixel cap: a gradient with grain, under the 15 MB file limit.
    small = Image.effect_noise((width // 8, height // 8), 40).convert("RGB")
    save("cap.jpg", small.resize((width, height)), "JPEG", f"JPEG {width}×{height} RGB (pixel cap)", quality=90)
    rgba = Image.new("RGBA", (side, side), (226, 97, 27, 128))
    save("budget-rgba.png", rgba, "PNG", f"PNG {side}×{side} RGBA (memory budget)")
    webp = Image.new("RGBA", (webp_side, webp_side), (226, 97, 27, 128))
    save("budget-rgba.webp", webp, "WEBP", f"WebP {webp_side}×{webp_side} RGBA (memory budget)", lossless=True)
    save("budget-rgb.heic", rgba.convert("RGB"), "HEIF", f"HEIC {side}×{side} RGB (memory budget)", quality=50)
    save("cap-grey.png", Image.new("L", (width, height), 128), "PNG", f"PNG {width}×{height} grey (pixel cap)")
    save("issue-7000.png", Image.new("RGBA", (7000, 7000), (1, 2, 3, 4)), "PNG", "PNG 7000×7000 RGBA (refused)")
    for name, (path, _what) in files.items():
        size = path.stat().st_size
        assert size <= settings.PHOTO_MAX_BYTES, f"{name} is {size} bytes, over the upload limit"
    return files


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak() -> None:
    # Linux keeps the peak RSS (VmHWM, ru_maxrss) across fork and exec, so the child starts with its
    # parent's; "5" resets it to the current RSS (proc(5), /proc/pid/clear_refs).
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def child(path: str, threads: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from register.photos import process_image

    for fmt in ("JPEG", "PNG"):
        buffer = BytesIO()
        Image.new("RGB", (64, 48), (226, 97, 27)).save(buffer, format=fmt)
        process_image(SimpleUploadedFile(f"warm.{fmt.lower()}", buffer.getvalue()))
    data = Path(path).read_bytes()
    outcomes: list[str] = []
    _reset_peak()
    start_rss = _status_kb("VmRSS")
    started = time.perf_counter()

    def one() -> None:
        try:
            result = process_image(SimpleUploadedFile(Path(path).name, data))
            outcomes.append(f"accepted, stored {result.width}×{result.height}")
        except ValidationError as error:
            outcomes.append(f"refused ({error.code})")

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    peak = _status_kb("VmHWM")
    print(
        json.dumps(
            {
                "growth_mb": (peak - start_rss) * 1024 / MB,
                "seconds": time.perf_counter() - started,
                "outcomes": sorted(set(outcomes)),
            }
        )
    )


def run_case(path: Path, threads: int = 1) -> dict:
    env = {**os.environ, "DATABASE_URL": "postgres://bench@127.0.0.1:1/unused", "DJANGO_SETTINGS_MODULE": ""}
    env.pop("DJANGO_SETTINGS_MODULE")
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), "--threads", str(threads)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", help="make (or reuse) the files in this directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.threads)
        return

    os.environ.setdefault("DATABASE_URL", "postgres://bench@127.0.0.1:1/unused")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = make_files(folder)
        print(f"{'case':<44} {'file':>8} {'peak RSS growth':>16} {'time':>7}  outcome")
        rows = [(what, path, 1) for path, what in files.values()]
        rows.append(("8 × " + files["budget-rgba.png"][1] + " at once", files["budget-rgba.png"][0], 8))
        for what, path, threads in rows:
            result = run_case(path, threads)
            print(
                f"{what:<44} {path.stat().st_size / MB:>6.1f}MB {result['growth_mb']:>13.0f} MB "
                f"{result['seconds']:>6.1f}s  {', '.join(result['outcomes'])}"
            )


if __name__ == "__main__":
    main()
