"""Multi-row INSERT for the ingest path: on SQLite, many rows per statement instead of one per row.

Two reasons, both measured on the HJ 212 receiver (docs/performance.md):

* ``executemany`` runs one statement per row, and Python's sqlite3 releases and re-takes the
  interpreter lock around every row. While another thread parses the next batch, each
  re-take can wait a whole switch interval (5 ms): the writer crawls. One statement of
  hundreds of rows releases the lock once, so the database work runs beside the parsing.
* The per-row cost of the statement machinery (binding through Django's cursor wrapper,
  re-running the statement) goes away.

Statements are built in a few fixed sizes (1024 rows, then powers of two for the rest), so
the driver's statement cache keeps them prepared. Parameters stay within SQLite's 32,766
and PostgreSQL's 65,535 bound-parameter limits.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

CHUNK = 1024


def _chunks(n: int) -> list[int]:
    """Statement sizes covering n rows: full chunks, then the binary digits of the rest."""
    sizes = [CHUNK] * (n // CHUNK)
    rest = n % CHUNK
    size = CHUNK // 2
    while rest:
        if rest >= size:
            sizes.append(size)
            rest -= size
        size //= 2
    return sizes


@lru_cache(maxsize=256)
def _statement(vendor: str, table: str, columns: tuple[str, ...], rows: int, conflict: tuple[str, ...], update: tuple[str, ...]) -> str:
    mark = "?" if vendor == "sqlite" else "%s"
    q = (lambda name: f'"{name}"')
    row = "(" + ", ".join([mark] * len(columns)) + ")"
    sql = f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) VALUES " + ", ".join([row] * rows)
    if conflict:
        sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in update)
        sql += f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET {sets}"
    return sql


def insert_rows(connection, table: str, columns: Sequence[str], rows: Sequence[tuple], *,
                conflict: Sequence[str] = (), update: Sequence[str] = ()) -> int:
    """Insert ``rows`` (tuples of already adapted values, in ``columns`` order) in the current transaction.

    With ``conflict`` the statement upserts, setting ``update`` from the new row. A key must
    not repeat within ``rows`` (PostgreSQL refuses to update one row twice in a statement).
    """
    if not rows:
        return 0
    connection.ensure_connection()
    vendor = connection.vendor
    columns, conflict, update = tuple(columns), tuple(conflict), tuple(update)
    # The DB-API cursor, not Django's wrapper: the wrapper rewrites the placeholders of the
    # whole statement text on every call.
    cursor = connection.connection.cursor()
    try:
        if vendor != "sqlite":
            # psycopg's executemany pipelines the rows (one round trip for all) and was 2x
            # faster than one statement of many rows, whose parameters it adapts one by one.
            cursor.executemany(_statement(vendor, table, columns, 1, conflict, update), rows)
            return len(rows)
        start = 0
        for size in _chunks(len(rows)):
            params = [value for row in rows[start:start + size] for value in row]
            cursor.execute(_statement(vendor, table, columns, size, conflict, update), params)
            start += size
    finally:
        cursor.close()
    return len(rows)
