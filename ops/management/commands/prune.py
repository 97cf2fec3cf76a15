"""`manage.py prune`: give space back and refresh planner statistics; drop old client reports.

Run it after `manage.py retention` (which deletes old events), e.g. nightly from cron.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from ingest.stats import delete_client_reports

# The tables that churn: the queue is emptied constantly, events and their per-issue counts
# are deleted by retention.
BIG_MODELS = [
    "ingest.IntakeEvent",
    "events.Event",
    "issues.Issue",
    "issues.IssueTagValue",
    "issues.IssueBucket",
    "alerts.Alert",
]


class Command(BaseCommand):
    help = "Delete old client reports, then VACUUM (and ANALYZE/optimize) the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--client-report-days",
            type=int,
            default=settings.RETENTION_MAX_DAYS,
            help="keep client reports this many days (default: RETENTION_MAX_DAYS)",
        )
        parser.add_argument("--no-vacuum", action="store_true", help="only delete old rows")

    def handle(self, *args, client_report_days: int, no_vacuum: bool, **options) -> None:
        cutoff = (timezone.now() - timedelta(days=client_report_days)).date()
        deleted = delete_client_reports(before=cutoff)
        self.stdout.write(f"deleted {deleted} client report rows older than {cutoff}")
        if no_vacuum:
            return
        for statement in vacuum_statements():
            with connection.cursor() as cursor:
                cursor.execute(statement)
            self.stdout.write(statement)


def vacuum_statements() -> list[str]:
    """What this database needs; VACUUM can't run in a transaction, so one per statement."""
    from django.apps import apps

    if connection.vendor == "postgresql":
        tables = [apps.get_model(label)._meta.db_table for label in BIG_MODELS]
        return [f'VACUUM (ANALYZE) "{table}"' for table in tables]
    if connection.vendor == "sqlite":
        # VACUUM rewrites the whole file (needs that much free disk and blocks writers).
        return ["PRAGMA optimize", "VACUUM"]
    return []
