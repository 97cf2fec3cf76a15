"""Commit what a request brought: at most one event plus client-report counts, in ONE
write transaction, before the SDK gets its answer."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

from ingest import ratelimit
from ingest.models import ClientReport, IntakeEvent


@dataclass
class QueuedEvent:
    event_id: str
    payload: bytes


# (reason, category) -> quantity
ReportCounts = dict[tuple[str, str], int]


def commit(
    project_id: int,
    event: QueuedEvent | None,
    reports: ReportCounts,
    rate_limit: int,
    received_at: datetime,
    request_id: str,
) -> None:
    if event is None and not reports:
        return  # nothing to keep: no transaction at all
    if event is not None:
        ratelimit.check_project(project_id, received_at.timestamp())
    with transaction.atomic():
        if event is not None:
            ratelimit.count_event(project_id, rate_limit, received_at.timestamp())
            # ignore_conflicts: a re-sent event id still waiting in the queue is dropped.
            IntakeEvent.objects.bulk_create(
                [
                    IntakeEvent(
                        project_id=project_id,
                        event_id=event.event_id,
                        received_at=received_at,
                        payload=event.payload,
                        request_id=request_id,
                    )
                ],
                ignore_conflicts=True,
            )
        if reports:
            _add_client_reports(project_id, received_at, reports)
    if event is not None:
        ratelimit.note_queued(1)


def _add_client_reports(project_id: int, received_at: datetime, reports: ReportCounts) -> None:
    table = ClientReport._meta.db_table
    day = received_at.date()
    rows = [
        (project_id, day, reason, category, quantity)
        for (reason, category), quantity in sorted(reports.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (project_id, day, reason, category, quantity) "
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (project_id, day, reason, category) "
            f"DO UPDATE SET quantity = {table}.quantity + excluded.quantity",
            rows,
        )
