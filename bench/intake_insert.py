"""PostgreSQL CPU per intake insert, for the ways ingest could write one event.

    .venv/bin/python bench/intake_insert.py [--rows 4000] [--pg-url postgres://…/bt_intake_insert]

Drops and recreates the named database, then inserts the benchmark's sentry-sdk event
(5.5 KB of JSON, a fresh event id each) one autocommit statement at a time into a table
shaped like `ingest_intakeevent`, once per variant, and prints the client's CPU, the
PostgreSQL backend's CPU (from /proc) and the table's bytes per row. The variants are
what ingest did before (Django's client-side binding: the payload as hex in the SQL text)
and what it does now (zstd level 1, bound in binary, prepared, rows kept inline).
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import psycopg
import zstandard

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import PostgresDatabase  # noqa: E402
from bench.generate import capture_sdk_event  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
TABLE = (
    "CREATE TABLE q (id bigserial PRIMARY KEY, project_id bigint, event_id varchar(32), "
    "received_at timestamptz, payload bytea, request_id varchar(64), "
    "UNIQUE (project_id, event_id))"
)
INSERT = (
    "INSERT INTO q (project_id, event_id, received_at, payload, request_id) "
    "VALUES (%s, %s, now(), {payload}, %s) ON CONFLICT (project_id, event_id) DO NOTHING"
)
# name: (cursor class, payload placeholder, prepare, zstd, keep rows inline)
VARIANTS = {
    "before: client-side binding, raw JSON": (psycopg.ClientCursor, "%s", False, False, False),
    "binary, prepared, raw JSON": (psycopg.Cursor, "%b", True, False, False),
    "binary, not prepared, zstd 1, inline": (psycopg.Cursor, "%b", False, True, True),
    "now: binary, prepared, zstd 1, inline": (psycopg.Cursor, "%b", True, True, True),
}


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run(url: str, name: str, rows: list[tuple[str, bytes]]) -> None:
    cursor_class, placeholder, prepare, compress, inline = VARIANTS[name]
    compressor = zstandard.ZstdCompressor(level=1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS q")
        conn.execute(TABLE)
        if inline:  # what migration ingest/0003 does
            conn.execute("ALTER TABLE q SET (toast_tuple_target = 8160)")
            conn.execute("ALTER TABLE q ALTER COLUMN payload SET STORAGE EXTERNAL")
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        sql = INSERT.format(payload=placeholder)
        cursor = cursor_class(conn)
        cpu, db = time.process_time(), backend_cpu(pid)
        for event_id, body in rows:
            stored = compressor.compress(body) if compress else body
            cursor.execute(sql, (1, event_id, stored, "req"), prepare=prepare)
        cpu, db = time.process_time() - cpu, backend_cpu(pid) - db
        size = conn.execute("SELECT pg_total_relation_size('q')").fetchone()[0]
    n = len(rows)
    print(f"{name:42s} client {cpu / n * 1000:.3f} ms  PostgreSQL {db / n * 1000:.3f} ms  "
          f"{size / n:,.0f} bytes/row")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--pg-url", default="postgres://postgres@127.0.0.1:5432/bt_intake_insert", help="dropped!"
    )
    args = parser.parse_args()
    PostgresDatabase(args.pg_url).recreate()
    with tempfile.TemporaryDirectory() as tmp:
        template = capture_sdk_event(Path(tmp))
    for _ in range(args.rounds):
        for name in VARIANTS:
            rows = []
            for _ in range(args.rows):
                event_id = uuid.uuid4().hex
                rows.append((event_id, orjson.dumps({**template, "event_id": event_id})))
            run(args.pg_url, name, rows)


if __name__ == "__main__":
    main()
