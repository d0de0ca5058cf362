"""Django's PostgreSQL backend with a health check that costs no round trip.

With persistent connections and ``CONN_HEALTH_CHECKS``, Django checks a connection before each
request reuses it; its own check sends ``SELECT 1`` and waits for the answer, one round trip on
every request. A healthy idle connection has nothing to read, while a connection the server has
ended (restart, ``pg_terminate_backend``, idle timeout) has its goodbye and end of stream waiting:
asking the socket whether it is readable tells them apart without a round trip.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        if self.connection is None or self.connection.closed:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        # Anything unasked-for waiting on the socket: treat the connection as spent and reconnect.
        return not readable
