"""A fake camera for Chromium: a Y4M video of a ticket's QR code, and a browser that films it.

Chromium plays the file as its camera with ``--use-file-for-fake-video-capture``. Y4M: one header line,
then per frame ``FRAME\\n`` and the Y, Cb and Cr planes (4:2:0, so Cb and Cr at half width and height);
see https://wiki.multimedia.cx/index.php/YUV4MPEG2.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from events import tickets
from tests.e2e.conftest import CHROMIUM_ARGS, _chromium_path

WIDTH, HEIGHT, FRAMES = 640, 480, 30


def qr_frame(png: bytes) -> Image.Image:
    """A QR code image (a ticket's PNG) on a white frame, as a phone held at the gate would see it."""
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    side = min(HEIGHT - 40, qr.width * 2)
    qr = qr.resize((side, side), Image.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    return frame


def ticket_frame(token: str) -> Image.Image:
    """The ticket's QR code (the same PNG the email carries) in front of the camera."""
    return qr_frame(tickets.qr_png(token))


def write_y4m(frame: Image.Image, path: Path, frames: int = FRAMES) -> Path:
    return write_y4m_clips([(frame, frames)], path)


def write_y4m_clips(clips: list[tuple[Image.Image, int]], path: Path, fps: int = 30) -> Path:
    """A video of each frame shown for its number of frames, in order (Chromium loops the file)."""
    width, height = clips[0][0].size
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame, frames in clips:
            y, cb, cr = frame.convert("YCbCr").split()
            half = (width // 2, height // 2)
            planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
            for _ in range(frames):
                out.write(b"FRAME\n")
                out.write(planes)
    return path


def launch_with_camera(playwright_browser, video: Path):
    """A second Chromium whose camera plays ``video`` (the shared one has no camera)."""
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return playwright_browser.browser_type.launch(executable_path=_chromium_path(), headless=True, args=args)
