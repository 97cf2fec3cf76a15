"""The benchmark's own database: created fresh per run, counted and measured from outside.

The runner talks to it with plain SQL (psycopg / sqlite3) rather than through Django, so
that it can drop and recreate it between runs and never shares a connection with the app.
"""

import contextlib
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

# Tables whose size is charged to events: the events, the queue they passed through and
# what the digest keeps per issue.
STORAGE_TABLES = (
    "issues_event",
    "ingest_intakeevent",
    "issues_issue",
    "issues_issuetagvalue",
    "issues_issuebucket",
    "issues_issuehistory",
)


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = url
        parts = urlsplit(url)
        self.name = parts.path.lstrip("/")
        if not self.name:
            raise ValueError("the PostgreSQL URL must name a database")
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self._conn: psycopg.Connection | None = None

    def recreate(self) -> None:
        self.close()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def _cursor(self) -> psycopg.Cursor:
        if self._conn is None:
            self._conn = psycopg.connect(self.url, autocommit=True)
        return self._conn.cursor()

    def counts(self) -> tuple[int, int]:
        """(events waiting in the intake queue, events digested)."""
        cur = self._cursor()
        cur.execute(
            "SELECT (SELECT count(*) FROM ingest_intakeevent), (SELECT count(*) FROM issues_event)"
        )
        intake, events = cur.fetchone()
        return intake, events

    def count_issues(self) -> int:
        cur = self._cursor()
        cur.execute("SELECT count(*) FROM issues_issue")
        return cur.fetchone()[0]

    def first_received_at(self, after: float) -> float | None:
        """Epoch of the earliest event received after `after`: the first measured request."""
        cur = self._cursor()
        cur.execute(
            "SELECT extract(epoch FROM min(received_at))::float8 FROM issues_event "
            "WHERE received_at > to_timestamp(%s)",
            [after],
        )
        return cur.fetchone()[0]

    def storage(self) -> dict[str, int]:
        cur = self._cursor()
        cur.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "WHERE c.relname = ANY(%s) AND c.relkind = 'r'",
            [list(STORAGE_TABLES)],
        )
        return dict(cur.fetchall())

    def backend_pids(self) -> list[int]:
        """PostgreSQL backends serving this database, except the runner's own."""
        cur = self._cursor()
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        )
        return [row[0] for row in cur.fetchall()]

    def server_version(self) -> str:
        cur = self._cursor()
        cur.execute("SHOW server_version")
        return cur.fetchone()[0]

    def settings(self) -> dict[str, str]:
        cur = self._cursor()
        names = ["shared_buffers", "synchronous_commit", "fsync", "wal_level", "max_connections"]
        cur.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [names])
        return {name: f"{value}{unit or ''}" for name, value, unit in cur.fetchall()}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._conn: sqlite3.Connection | None = None

    def recreate(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            # Shared with the sampler thread; the runner serializes access with a lock.
            self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        return self._conn

    def _execute(self, sql: str) -> tuple:
        return self._connection().execute(sql).fetchone()

    def counts(self) -> tuple[int, int]:
        intake, events = self._execute(
            "SELECT (SELECT count(*) FROM ingest_intakeevent), (SELECT count(*) FROM issues_event)"
        )
        return intake, events

    def count_issues(self) -> int:
        return self._execute("SELECT count(*) FROM issues_issue")[0]

    def first_received_at(self, after: float) -> float | None:
        """Epoch of the earliest event received after `after`: the first measured request."""
        since = datetime.fromtimestamp(after, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        value = (
            self._connection()
            .execute("SELECT min(received_at) FROM issues_event WHERE received_at > ?", [since])
            .fetchone()[0]
        )
        if value is None:
            return None
        moment = datetime.fromisoformat(value)  # Django stores UTC, without an offset
        return moment.replace(tzinfo=moment.tzinfo or UTC).timestamp()

    def storage(self) -> dict[str, int]:
        """Bytes per table (its indexes included, dbstat), plus the database file itself."""
        with contextlib.suppress(sqlite3.OperationalError):
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = self._connection().execute(
            "SELECT coalesce(s.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_schema s ON s.name = d.name GROUP BY 1"
        )
        sizes = {name: size for name, size in rows if name in STORAGE_TABLES}
        sizes["(database file)"] = sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )
        return sizes

    def backend_pids(self) -> list[int]:
        return []

    def server_version(self) -> str:
        return sqlite3.sqlite_version

    def settings(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def open_database(kind: str, pg_url: str, workdir: Path) -> PostgresDatabase | SqliteDatabase:
    if kind == "sqlite":
        return SqliteDatabase(workdir / "bench.sqlite3")
    if kind == "postgresql":
        return PostgresDatabase(pg_url)
    raise ValueError(f"unknown database kind {kind!r}")


DEFAULT_PG_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bt_bench_run"
)


if __name__ == "__main__":
    import sys

    # `python bench/database.py recreate URL`: a fresh, empty PostgreSQL database (make demodata).
    if len(sys.argv) != 3 or sys.argv[1] != "recreate":
        sys.exit("usage: bench/database.py recreate postgres://…/name")
    PostgresDatabase(sys.argv[2]).recreate()
