"""The database connection: Django's health check replaces a connection the server ended; the embedded
server starts only when a connection is needed and survives a damaged handle file (config/database.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import close_old_connections, connection

from config.database import _embedded_postgres, embedded_server, repair_handle_file
from register.models import Colour

ROOT = Path(__file__).resolve().parents[1]


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """End a server process from another connection, as a restart or an idle timeout would."""
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_healthy_idle_connection_is_kept_for_the_next_request():
    # A fresh connection: one opened at the database setup may be older than CONN_MAX_AGE on a slow
    # machine, and close_old_connections would rightly replace it for its age, not its health.
    connection.close()
    pid = backend_pid()

    assert connection.is_usable() is True
    close_old_connections()
    assert backend_pid() == pid


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    old_pid = backend_pid()
    terminate(old_pid)

    assert connection.is_usable() is False
    # What Django does when the next request starts, then that request's first query:
    close_old_connections()
    count = Colour.objects.count()

    assert count > 0
    assert backend_pid() != old_pid


# Runs a management command in a fresh process; counts the connections it opened and the embedded
# servers it started (the receiver is connected before Django loads the settings).
RUN_COMMAND = """
import sys, django
from django.db.backends.signals import connection_created
opened = []
connection_created.connect(lambda **kwargs: opened.append(1), weak=False)
django.setup()
from django.conf import settings
from django.core.management import call_command
settings.LOCALE_PATHS = [sys.argv[1]]
call_command(*sys.argv[2:])
from config.database import _embedded_postgres
print("connections", len(opened), "servers", len(_embedded_postgres().PostgresServer._instances))
"""


@pytest.mark.processes
@pytest.mark.parametrize(
    "command",
    [
        ["check", "--deploy"],
        ["collectstatic", "--noinput", "-v", "0"],
        ["makemessages", "--locale", "de", "-v", "0"],
    ],
)
def test_tooling_starts_no_database_server(command, tmp_path):
    (tmp_path / "page.py").write_text("from django.utils.translation import gettext\ngettext('Roster')\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "STATIC_ROOT": str(tmp_path / "static")}
    env["PYTHONPATH"] = str(ROOT)

    result = subprocess.run(
        [sys.executable, "-c", RUN_COMMAND, str(tmp_path / "locale"), *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "connections 0 servers 0"


def a_finished_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("", []),
        ("[1234, 56", []),
        ("\x00\x00\x00", []),
        ('{"pid": 1}', []),
        ("7", []),
        ('["x", null]', []),
        ("STALE_AND_LIVE", "LIVE"),
    ],
)
def test_a_damaged_handle_file_is_repaired_to_the_live_pids(damaged, repaired, tmp_path):
    handle_file = tmp_path / ".handle_pids.json"
    if damaged == "STALE_AND_LIVE":
        damaged, repaired = json.dumps([a_finished_pid(), os.getpid()]), [os.getpid()]
    handle_file.write_text(damaged)

    repair_handle_file(handle_file)

    assert json.loads(handle_file.read_text()) == repaired
    # What embedded-postgres does with the file on its next start and on exit.
    handles = _embedded_postgres().utils.DiskList(handle_file)
    handles.get_and_add(4242)
    assert handles.get_and_remove(4242) == [*repaired, 4242]


def test_a_missing_handle_file_stays_missing(tmp_path):
    repair_handle_file(tmp_path / ".handle_pids.json")

    assert not (tmp_path / ".handle_pids.json").exists()


@pytest.fixture
def scratch_dir():
    """A directory outside pytest's tmp_path, whose parent pytest keeps at 0700 and resets when another
    session starts: embedded-postgres runs the server as another user when started as root."""
    path = Path(tempfile.mkdtemp(prefix="onem-pgdata-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.processes
def test_the_embedded_server_starts_after_a_bad_stop_left_its_handle_file_empty(scratch_dir):
    pgdata = scratch_dir / "pgdata"
    server = embedded_server(pgdata)
    user = server.system_user
    _embedded_postgres().pg_ctl(["-w", "stop"], pgdata=pgdata, user=user)
    (pgdata / ".handle_pids.json").write_text("")
    start_again = (
        "import sys; from pathlib import Path; from config.database import embedded_server;"
        "print(embedded_server(Path(sys.argv[1])).get_postmaster_info().status)"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", start_again, str(pgdata)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        _embedded_postgres().pg_ctl(["-m", "immediate", "stop"], pgdata=pgdata, user=user)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ready"


@pytest.mark.processes
def test_two_processes_starting_a_fresh_server_at_once_share_one(scratch_dir):
    """`make test` starts two pytest processes that each connect first: on a fresh machine both start the server."""
    pgdata = scratch_dir / "pgdata"
    start = (
        "import sys; from pathlib import Path; from config.database import embedded_server;"
        "print(embedded_server(Path(sys.argv[1])).get_postmaster_info().port)"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", start, str(pgdata)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    try:
        results = [process.communicate(timeout=120) for process in processes]
    finally:
        server = embedded_server(pgdata)
        _embedded_postgres().pg_ctl(["-m", "immediate", "stop"], pgdata=pgdata, user=server.system_user)

    assert [process.returncode for process in processes] == [0, 0], [err.decode() for _, err in results]
    ports = {out.decode().strip() for out, _ in results}
    assert len(ports) == 1 and ports != {""}
