"""PostgreSQL: keep intake rows inline and never pglz-compress their (zstd) payloads.

Intake payloads are zstd-compressed by ingest (ingest/intake_payload.py), ~2-3 KB for a
typical event: above the default 2 KB TOAST threshold, so PostgreSQL tried pglz on them
(pointless on zstd bytes) and then moved them to the TOAST table, one more table and index
to write and vacuum per event. Rows live seconds; inline is cheaper.
"""

from django.db import migrations

FORWARD = (
    "ALTER TABLE ingest_intakeevent SET (toast_tuple_target = 8160)",
    "ALTER TABLE ingest_intakeevent ALTER COLUMN payload SET STORAGE EXTERNAL",
)
BACKWARD = (
    "ALTER TABLE ingest_intakeevent RESET (toast_tuple_target)",
    "ALTER TABLE ingest_intakeevent ALTER COLUMN payload SET STORAGE EXTENDED",
)


def _run(statements: tuple[str, ...]):
    def apply(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return  # SQLite has no TOAST
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("ingest", "0002_dedupe_and_rate_counter")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
