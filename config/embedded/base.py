"""Django's PostgreSQL backend, plus starting the embedded server before the first connection.

Used only without ``DATABASE_URL`` (config/database.py). The settings name the data directory
(``PGDATA``), not an address, so importing them starts nothing. The first connection a process opens
starts the server, or finds it running, and writes its socket directory and port into the connection's
settings, where every later connection, ``dbshell`` and ``db_backup`` read them. Nothing else differs from
``django.db.backends.postgresql``.
"""

from __future__ import annotations

from pathlib import Path

from django.db.backends.postgresql import base, client

from config.database import embedded_server


class DatabaseClient(client.DatabaseClient):
    def runshell(self, parameters):
        self.connection.ensure_server()
        super().runshell(parameters)


class DatabaseWrapper(base.DatabaseWrapper):
    client_class = DatabaseClient

    def ensure_server(self) -> None:
        if not self.settings_dict["HOST"]:
            info = embedded_server(Path(self.settings_dict["PGDATA"])).get_postmaster_info()
            self.settings_dict.update(HOST=str(info.socket_dir), PORT=str(info.port or 5432))

    def get_connection_params(self):
        self.ensure_server()
        return super().get_connection_params()
