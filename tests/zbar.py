"""Reading a QR code back with zbarimg (Debian's zbar-tools), as a banking app or the gate's scanner would."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def zbarimg_read(path: Path) -> str:
    """The payload of the one QR code in the image at ``path``, decoded as UTF-8.

    The raw bytes (``-Sbinary``): without it zbar guesses the encoding of the bytes and takes the "ü" of a
    UTF-8 name for Shift-JIS. Without zbarimg the test skips, unless ``REQUIRE_BROWSER=1`` (``.ci/run``)."""
    if shutil.which("zbarimg") is None:
        reason = "zbarimg is not installed (Debian's zbar-tools package)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    result = subprocess.run(["zbarimg", "-q", "--raw", "-Sbinary", str(path)], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode("utf-8").removesuffix("\n")
