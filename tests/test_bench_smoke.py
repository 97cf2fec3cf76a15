"""A short run of the benchmark harness, so that it cannot rot. Not a timed test.

It starts the real process layout (gunicorn + digest worker) on a database of its own,
sends a few hundred envelopes with k6 at a low rate, and checks only that every event k6
saw accepted was digested.
"""

import pytest
from django.conf import settings

from bench import run

pytestmark = [pytest.mark.live]


def harness_database_args(tmp_path) -> list[str]:
    """The suite's database engine, in a database of the harness's own (dropped and made)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return ["--db", "sqlite"]
    name = f"{db['NAME']}_harness"  # e.g. test_bt_bench_harness: never another's database
    host, port, user = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432, db.get("USER")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return ["--db", "postgresql", "--pg-url", f"postgres://{user}{password}@{host}:{port}/{name}"]


def test_every_accepted_event_is_digested(tmp_path):
    args = harness_database_args(tmp_path) + [
        "--rate", "60", "--vus", "2", "--max-vus", "8", "--duration", "4",
        "--events", "400", "--stall", "60", "--web-workers", "2",
        "--results", str(tmp_path), "--no-save",
    ]  # fmt: skip
    [result] = run.main(args)
    assert result["load"]["accepted"] > 0  # how many depends on the machine; not timed
    assert result["digest"]["all_accepted_digested"], result["problems"]
    assert result["digest"]["digested"] == result["load"]["accepted"]
