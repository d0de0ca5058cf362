"""Fixtures for the tests that run real mail workers: an SMTP server on loopback and the workers themselves."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.outbox.smtp import SmtpServer, Worker, database_url, worker_env


@pytest.fixture
def smtp():
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def workers(smtp):
    """Start workers with ``workers.start()``; all are stopped at the end."""
    started: list[Worker] = []
    with connection.cursor() as cursor:
        # procrastinate's tables are not Django-managed, so a flush between tests leaves jobs behind.
        cursor.execute("TRUNCATE procrastinate_jobs, procrastinate_periodic_defers, procrastinate_workers CASCADE")
    env = worker_env(database=database_url(connection.settings_dict), smtp_port=smtp.port)

    class Workers:
        def start(self, **settings: str) -> Worker:
            started.append(Worker({**env, **settings}))
            return started[-1]

    yield Workers()
    for worker in started:
        worker.stop()
