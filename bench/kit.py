"""Shared by the bench scripts: the production-shaped app on a throw-away PostgreSQL, and wrk."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.load import harness  # noqa: E402

WRK_HINT = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or build it from github.com/wg/wrk"


def production_env(db: harness.Database) -> dict[str, str]:
    """DEBUG off as in `make serve`, minus the HTTPS redirect (loopback, no TLS proxy in front)."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Links in the mail it sends (production requires SITE_URL; check --deploy reports a local one).
        "SITE_URL": "http://127.0.0.1:8000",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(db.tmp / "static"),
        "MEDIA_ROOT": str(db.tmp / "media"),
        "LOG_LEVEL": "ERROR",
    }


def collectstatic(db: harness.Database, root: Path = ROOT) -> None:
    harness.manage(db, "collectstatic", "--noinput", "-v", "0", root=root, **production_env(db))


def wrk(url: str, *, seconds: int, connections: int, threads: int = 2, headers: dict | None = None) -> dict:
    """Requests/second and errors of one wrk run (keep-alive, ``connections`` open connections)."""
    extra = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    if shutil.which("wrk") is None:
        raise SystemExit(WRK_HINT)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    return {
        "rps": rps,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "",
        "p50": p50.group(1) if p50 else "?",
        "p99": p99.group(1) if p99 else "?",
    }
