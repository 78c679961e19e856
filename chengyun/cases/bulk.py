"""Multi-row inserts for the paths that write thousands of rows at once (drone flights, demo
and benchmark data). The ORM's bulk_create prepares every value of every object through the
field machinery, which costs more than the database itself at this scale."""
from __future__ import annotations

import json

from django.db import connection, models


def reserve_ids(model, n: int) -> list[int]:
    """n fresh primary keys for `model`, safe against concurrent writers.

    PostgreSQL hands them out from the table's sequence; on SQLite the caller's write
    transaction (BEGIN IMMEDIATE) already excludes every other writer, so max(id)+1 … is free.
    """
    if n <= 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, n])
            return [row[0] for row in cur.fetchall()]
        cur.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(pk)}), 0) FROM {connection.ops.quote_name(table)}")
        start = cur.fetchone()[0] + 1
    return list(range(start, start + n))


def fast_insert(model, objs) -> None:
    """Multi-row INSERT of model instances (or dicts by attname; missing keys take the field's
    default) whose ids are already set. auto_now fields are not filled in: set them. Signals do
    not fire here, so the cached case pages are told directly."""
    from . import freshness

    freshness.changed()
    fields = list(model._meta.concrete_fields)
    ops = connection.ops
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        def dump_json(v):
            return Jsonb(v)
    else:
        def dump_json(v):
            return json.dumps(v, ensure_ascii=False)
    preps = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            preps.append(lambda v: None if v is None else ops.adapt_datetimefield_value(v))
        elif isinstance(f, models.JSONField):
            preps.append(lambda v: None if v is None else dump_json(v))
        else:
            preps.append(None)
    qn = ops.quote_name
    cols = ", ".join(qn(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    names = [f.attname for f in fields]
    defaults = [None if f.primary_key else f.get_default() for f in fields]
    if connection.vendor == "postgresql":
        # COPY is several times faster than multi-row INSERT on PostgreSQL.
        with connection.cursor() as cur:
            with cur.cursor.copy(f"COPY {qn(model._meta.db_table)} ({cols}) FROM STDIN") as copy:
                for o in objs:
                    d = o if isinstance(o, dict) else o.__dict__
                    copy.write_row([prep(d.get(name, default)) if prep else d.get(name, default)
                                    for name, prep, default in zip(names, preps, defaults)])
        return
    # SQLite takes at least 32,766 parameters per statement.
    batch = max(1, 30000 // len(fields))
    with connection.cursor() as cur:
        for k in range(0, len(objs), batch):
            chunk = objs[k:k + batch]
            params = []
            for o in chunk:
                d = o if isinstance(o, dict) else o.__dict__
                for name, prep, default in zip(names, preps, defaults):
                    v = d.get(name, default)
                    params.append(prep(v) if prep else v)
            cur.execute(f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES " + ", ".join([one] * len(chunk)), params)


def reset_sequences(*models_) -> None:
    """After inserting explicit ids without the sequence (demo, benchmark), move it past them."""
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if sql:
        with connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)
