"""The whole database as a comparable value: per table, its row count and an md5 of its rows."""

from __future__ import annotations

from django.db import connection

# Written on every request by design, not data: the session store and django-axes' login log.
VOLATILE_TABLES = {"django_session", "axes_accesslog"}


def db_snapshot() -> dict[str, tuple[int, str]]:
    """``{table: (row count, md5 of every row in a fixed order)}`` for every table but the volatile ones."""
    tables = sorted(set(connection.introspection.table_names()) - VOLATILE_TABLES)
    row_hash = "count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
    sql = " UNION ALL ".join(f"SELECT '{t}', {row_hash} FROM {connection.ops.quote_name(t)} x" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))
