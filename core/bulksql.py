"""Set-based SQL for the digest's hot path, for PostgreSQL and SQLite alike.

Django's ORM has no "add to a counter on conflict" and no "insert, skip duplicates, tell me
which went in"; both are one statement per batch here instead of one query per row. On
PostgreSQL rows travel as one array per column (`unnest`), so the statement text is short and
the same for every batch (cheap to build). Plain inserts and reads of a batch go through here
too: the ORM's SQL compiler cost more CPU per batch than the statements themselves.
"""

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg
from django.db import connection, models

CHUNK = 500  # rows per statement on SQLite: keeps it under its parameter limit


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _adapt(value: Any) -> Any:
    """Datetimes the way SQLite stores them (naive UTC text)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _array_types(model: type[models.Model], columns: Sequence[str]) -> list[str]:
    by_column = {f.column: f for f in model._meta.concrete_fields}
    types = []
    for column in columns:
        db_type = by_column[column].db_type(connection) or "text"
        types.append("bigint" if "serial" in db_type else db_type)
    return types


def rows_source(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """`SELECT * FROM unnest(...)` (PostgreSQL) or `VALUES (...), ...` (SQLite)."""
    if _pg():
        types = _array_types(model, columns)
        arrays = [list(col) for col in zip(*rows, strict=True)]
        source = ", ".join(f"%b::{t}[]" for t in types)
        return f"SELECT * FROM unnest({source})", arrays
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    params = [_adapt(v) for row in rows for v in row]
    return f"VALUES {', '.join([placeholder] * len(rows))}", params


def execute(
    sql: str, params: Sequence[Any], fetch: bool = False, binary: bool = False
) -> list[tuple]:
    """On PostgreSQL with server-side binding (Django's cursors bind client-side): the `%b`
    arrays, compressed payloads above all, travel in binary instead of as statement text.
    `binary` results too (bytea as is, not hex text), for rows without json columns (Django
    reads those as text)."""
    if not _pg():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if fetch else []
    connection.ensure_connection()
    started = time.perf_counter()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=binary)
        rows = cursor.fetchall() if fetch else []
    if connection.queries_logged:  # as Django's debug cursor does (DEBUG, tests' query counts)
        connection.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})
    return rows


def _chunks(rows: Sequence[Sequence[Any]]) -> list[Sequence[Sequence[Any]]]:
    size = len(rows) or 1 if _pg() else CHUNK
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def insert_new(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    unique: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT ... ON CONFLICT DO NOTHING [RETURNING]: only the rows that really went in."""
    conflict = f"ON CONFLICT ({', '.join(_q(c) for c in unique)}) DO NOTHING"
    return insert_rows(model, columns, rows, returning, conflict)


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str] = (),
    conflict: str = "",
) -> list[tuple]:
    """INSERT many rows, one statement (per chunk on SQLite); `returning` rows if asked."""
    table = model._meta.db_table
    tail = f" RETURNING {', '.join(_q(c) for c in returning)}" if returning else ""
    out: list[tuple] = []
    for chunk in _chunks(rows) if rows else []:
        source, params = rows_source(model, columns, chunk)
        out += execute(
            f"INSERT INTO {_q(table)} ({', '.join(_q(c) for c in columns)}) {source} "
            f"{conflict}{tail}",
            params,
            fetch=bool(returning),
        )
    return out


def insert_objects(objs: Sequence[models.Model], returning: Sequence[str] = ()) -> list[tuple]:
    """Insert unsaved model instances (every concrete field but an auto primary key), as
    `bulk_create` would but without its per-row SQL compilation."""
    if not objs:
        return []
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    rows = [tuple(_db_value(f, getattr(obj, f.attname)) for f in fields) for obj in objs]
    return insert_rows(type(objs[0]), [_column(f) for f in fields], rows, returning)


def _db_value(field: models.Field, value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(field, models.JSONField) else value


def _concrete(model: type[models.Model], name: str) -> models.Field:
    """A model's own column-backed field (not a reverse relation or generic key)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, f"{name} has no column"
    return field


def _column(field: models.Field) -> str:
    assert field.column, f"{field.name} has no column"
    return field.column


def column_of(model: type[models.Model], name: str) -> str:
    return _column(_concrete(model, name))


def fetch_models(
    model: type[models.Model], fields: Sequence[str], sql: str, params: Sequence[Any]
) -> list[Any]:
    """Instances of `model` from `sql`, which selects the columns of `fields` in that order;
    the other fields are deferred. Values go through Django's converters, as the ORM's do."""
    return [obj for obj, _ in fetch_models_and(model, fields, sql, params)]


def fetch_models_and(
    model: type[models.Model], fields: Sequence[str], sql: str, params: Sequence[Any]
) -> list[tuple[Any, tuple]]:
    """As `fetch_models`, each instance with the raw values of the columns `sql` selects after
    those of `fields`."""
    meta = model._meta
    loaded = [_concrete(model, name) for name in fields]
    steps = []
    for field in loaded:
        col = field.get_col(meta.db_table)
        steps.append(
            (col, connection.ops.get_db_converters(col) + field.get_db_converters(connection))  # type: ignore[attr-defined]  # not in the stubs
        )
    attnames = [f.attname for f in loaded]
    n = len(attnames)
    out = []
    for row in execute(sql, params, fetch=True):
        values = list(row[:n])
        for i, (col, converters) in enumerate(steps):
            for convert in converters:
                values[i] = convert(values[i], col, connection)
        out.append((model.from_db(connection.alias, attnames, values), tuple(row[n:])))
    return out


def upsert_add(
    model: type[models.Model],
    unique: Sequence[str],
    rows: Sequence[Sequence[Any]],
    count: str = "count",
    first: str | None = "first_seen",
    last: str | None = "last_seen",
) -> None:
    """Insert `unique + count [+ first, last]` rows; on conflict add the count and widen the
    time range. Rows must be sorted by their unique key (lock order, against deadlocks)."""
    if not rows:
        return
    table = _q(model._meta.db_table)
    greatest, least = ("GREATEST", "LEAST") if _pg() else ("MAX", "MIN")
    columns = [*unique, count] + [c for c in (first, last) if c]
    sets = [f"{_q(count)} = {table}.{_q(count)} + excluded.{_q(count)}"]
    if first:
        sets.append(f"{_q(first)} = {least}({table}.{_q(first)}, excluded.{_q(first)})")
    if last:
        sets.append(f"{_q(last)} = {greatest}({table}.{_q(last)}, excluded.{_q(last)})")
    for chunk in _chunks(rows):
        source, params = rows_source(model, columns, chunk)
        execute(
            f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) {source} "
            f"ON CONFLICT ({', '.join(_q(c) for c in unique)}) DO UPDATE SET {', '.join(sets)}",
            params,
        )


def delete_not_positive(
    model: type[models.Model],
    unique: Sequence[str],
    keys: Sequence[Sequence[Any]],
    count: str = "count",
) -> None:
    """Delete the rows with these unique keys whose count has fallen to zero or below."""
    table = _q(model._meta.db_table)
    columns = ", ".join(_q(c) for c in unique)
    for chunk in _chunks(keys):
        source, params = rows_source(model, unique, chunk)
        execute(f"DELETE FROM {table} WHERE {_q(count)} <= 0 AND ({columns}) IN ({source})", params)


def bulk_set(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of already-loaded rows back in one statement (by primary key)."""
    if not objs:
        return
    model = type(objs[0])
    if not _pg():
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    assert meta.pk is not None
    pk = _column(meta.pk)
    columns = [pk] + [column_of(model, f) for f in fields]
    is_json = [False] + [isinstance(meta.get_field(f), models.JSONField) for f in fields]
    arrays: list[list[Any]] = [[obj.pk for obj in objs]]
    for name, as_json in zip(fields, is_json[1:], strict=True):
        values = [getattr(obj, name) for obj in objs]
        arrays.append([orjson.dumps(v).decode() for v in values] if as_json else values)
    types = ["text" if j else t for t, j in zip(_array_types(model, columns), is_json, strict=True)]
    source = ", ".join(f"%b::{t}[]" for t in types)
    sets = ", ".join(
        f"{_q(c)} = v.{_q(c)}{'::jsonb' if j else ''}"
        for c, j in zip(columns[1:], is_json[1:], strict=True)
    )
    table = _q(meta.db_table)
    alias = f"v({', '.join(_q(c) for c in columns)})"
    execute(
        f"UPDATE {table} SET {sets} FROM unnest({source}) AS {alias} "
        f"WHERE {table}.{_q(pk)} = v.{_q(pk)}",
        arrays,
    )
