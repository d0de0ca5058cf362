"""Writing many rows at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def rows_update(objects: Sequence[Model], fields: list[str]) -> None:
    """Write ``fields`` of each of ``objects`` (all of one model) to its row: what ``QuerySet.bulk_update`` does,
    as one ``UPDATE … WHERE pk = %s`` sent for all rows in a pipeline (psycopg's ``executemany``).

    Why not ``bulk_update``: it writes a batch as one statement with a ``CASE WHEN pk = … THEN …`` per row and
    field; building and compiling those expressions is slow in Python, and PostgreSQL compares each row with the
    batch's ``WHEN``s in turn. For the 6,342 entries a statement pays and their credits that was nearly half of
    the import's CPU time (BENCHMARKS.md, "Bank statement import")."""
    if not objects:
        return
    meta = type(objects[0])._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
