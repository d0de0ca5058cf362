"""The database backend's health check (config/postgresql): no round trip, yet a connection the server
ended is noticed and replaced before a request uses it."""

from __future__ import annotations

import select

import pytest
from django.db import close_old_connections, connection

from register.models import Colour


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


def wait_readable(timeout: float = 5) -> None:
    select.select([connection.connection.fileno()], [], [], timeout)


@pytest.mark.django_db(transaction=True)
def test_a_healthy_idle_connection_is_kept_for_the_next_request():
    pid = backend_pid()

    assert connection.is_usable() is True
    close_old_connections()
    assert backend_pid() == pid


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_request_uses_it():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    old_pid = backend_pid()
    terminate(old_pid)
    wait_readable()

    assert connection.is_usable() is False
    # What Django does when the next request starts, then that request's first query:
    close_old_connections()
    count = Colour.objects.count()

    assert count > 0
    assert backend_pid() != old_pid
