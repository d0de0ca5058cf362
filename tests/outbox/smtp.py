"""A real SMTP server (aiosmtpd) and real mail workers (`manage.py procrastinate worker`) for the outbox
tests and bench/mail.py. Everything listens on loopback and is stopped by whoever started it."""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.controller import Controller

from config.cluster.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


class Handler:
    """Answers as told: ``mode`` "accept" (250), "421" (try again later) or "550" (refused), after
    ``delay`` seconds; keeps the Message-ID of every message it accepted."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.delay = 0.0
        self.received: list[str] = []
        self.data_started = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.data_started.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "421":
            return "421 4.3.2 Try again later"
        if self.mode == "550":
            return "550 5.1.1 No such mailbox"
        self.received.append(email.message_from_bytes(envelope.content)["Message-ID"])
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a fixed loopback port that can be taken down and brought back."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Handler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def counts(self) -> Counter:
        return Counter(self.handler.received)


@contextlib.contextmanager
def silent_server(port: int):
    """Accepts connections on ``port`` and never says a word (no SMTP greeting)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(100)
        yield


def database_url(settings_dict: dict) -> str:
    """The URL of the database Django is using here (the test database), for a worker process."""
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD")
    auth = f"{user}:{password}" if password else user
    query = f"host={settings_dict.get('HOST') or ''}&port={settings_dict.get('PORT') or 5432}"
    return f"postgres://{auth}@/{settings_dict['NAME']}?{query}"


def worker_env(*, database: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DEBUG="1",
        SECRET_KEY="mail-tests-only-not-secret",
        DATABASE_URL=database,
        ONEM_DB_ANNOUNCED="1",
        EMAIL_DELIVERY_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        # Tight, through settings: a test waits seconds, not hours.
        EMAIL_TIMEOUT="1",
        MAIL_RETRY_WAIT="0.2",
        MAIL_RETRY_MAX_WAIT="1",
        MAIL_WORKER_HEARTBEAT="0.5",
        MAIL_STALLED_CHECK_CRON="* * * * * *",
    )
    env.update(extra)
    return env


class Worker:
    """One `manage.py procrastinate worker` process, in a process group of its own."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        # A file, not a pipe: nobody reads while it runs, and its retry log must never block it.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        time.sleep(0.1)
