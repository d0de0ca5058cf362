"""Code cites a fact's public source, never a file outside the repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Spelled in pieces so that this file does not find itself.
OUTSIDE = ("DOMAIN" + ".md", "../" + "shared", "KNOWHOW" + ".md", "STYLE" + ".md")


def test_no_file_points_at_notes_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = [
        f"{name}: {needle}"
        for name in files
        if name.endswith((".py", ".html", ".md", ".txt", ".js", ".css", ".toml", ".cfg"))
        for needle in OUTSIDE
        if needle in (ROOT / name).read_text(encoding="utf-8", errors="replace")
    ]
    assert hits == []
