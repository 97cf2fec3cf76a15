"""Readiness: the database, migrations and each app's own check, each a small dict with `ok`
(and why not); ops only composes them."""

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from ingest.stats import queue_health

Check = dict[str, Any]
# Applied migrations can't become unapplied under a running process: remember success.
_migrated: set[str] = set()


def check_database(connection: BaseDatabaseWrapper) -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not reachable"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_migrations(using: str = DEFAULT_DB_ALIAS) -> Check:
    if using in _migrated:
        return {"ok": True}
    connection = connections[using]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return {"ok": False, "unapplied": len(plan)}
    _migrated.add(using)
    return {"ok": True}


def readiness(using: str = DEFAULT_DB_ALIAS) -> tuple[bool, dict[str, Check]]:
    """All checks, in order; once the database is unreachable the rest are skipped."""
    checks: dict[str, Check] = {"database": check_database(connections[using])}
    if not checks["database"]["ok"]:
        checks["migrations"] = checks["queue"] = {"ok": False, "error": "skipped"}
        return False, checks
    for name, check in (("migrations", check_migrations), ("queue", queue_health)):
        try:
            checks[name] = check(using)
        except Exception as exc:  # a half-migrated database can fail the queue query
            checks[name] = {"ok": False, "error": type(exc).__name__}
    return all(c["ok"] for c in checks.values()), checks
