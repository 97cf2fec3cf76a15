"""Delivering the alert outbox: `send_due_alerts()` is one step; `run()` loops it.

Each step: give up on what is older than a day, raise the alerts of frequency rules, admit
pending alerts (rules, flood control, fan-out to recipients and channels), hand the due
channel deliveries to the channel threads (`alerts/dispatch.py`), then claim due email
deliveries in small batches and send them. A claim is a lease (`alerts/leases.py`, shared
with the channels): rows are taken atomically (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite:
IMMEDIATE transactions), and only the claimant may mark them sent. A sender that dies after
sending but before marking leaves a lease that expires, so the email is sent again: at least
once per recipient, never skipped.
"""

import contextlib
import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, close_old_connections, transaction
from django.db.models import Max
from django.utils import timezone

from alerts import dispatch, leases
from alerts.emails import render_alert
from alerts.frequency import has_recent_counts, prune_minutes, raise_frequency_alerts
from alerts.models import Alert, AlertDelivery, AlertStatus, DeliveryStatus
from alerts.planning import plan_due_alerts
from core import metrics
from core.emails import Email
from core.outage import OutageLog
from projects.models import Membership

log = logging.getLogger(__name__)
outage = OutageLog(log, "sendalerts")  # one traceback per outage, then a line per step

MAX_AGE = timedelta(days=1)
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
CLAIM_BATCH = 10
MAX_BATCHES_PER_STEP = 50
PRUNE_EVERY = 600.0  # seconds
# Errors about one message; anything else (refused, timeout, disconnect) means SMTP is down.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


@dataclass
class StepResult:
    admitted: int = 0
    held: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    smtp_down: bool = False


def backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def claim_deliveries(now: datetime, limit: int = CLAIM_BATCH) -> tuple[str, list[AlertDelivery]]:
    """Lease up to `limit` due deliveries to a new token; nobody else can claim them meanwhile."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            AlertDelivery.objects.filter(
                status=DeliveryStatus.PENDING, next_attempt_at__lte=now, channel__isnull=True
            )
            .filter(leases.free(now))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            leases.stamp(ids, token, now)
    if not ids:
        return token, []
    rows = AlertDelivery.objects.filter(id__in=ids, claim_token=token)
    return token, list(rows.select_related("alert", "alert__project", "alert__issue__project"))


def _mark_sent(row: AlertDelivery, token: str) -> None:
    AlertDelivery.objects.filter(id=row.id, claim_token=token).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), claimed_until=None, claim_token=""
    )


def _still_wanted(row: AlertDelivery, wanted: dict[int, set[int]]) -> bool:
    """Whoever left the project or turned its alerts off since fan-out gets nothing."""
    project_id = row.alert.project_id
    if project_id not in wanted:
        wanted[project_id] = set(
            Membership.objects.filter(
                project_id=project_id, send_alerts=True, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    return row.user_id in wanted[project_id]


def _skip(row: AlertDelivery, token: str) -> None:
    AlertDelivery.objects.filter(id=row.id, claim_token=token).update(
        status=DeliveryStatus.SKIPPED, claimed_until=None, claim_token=""
    )


def _retry_later(row: AlertDelivery, token: str, now: datetime, error: str) -> None:
    attempts = row.attempts + 1
    AlertDelivery.objects.filter(id=row.id, claim_token=token).update(
        attempts=attempts,
        next_attempt_at=now + backoff(attempts),
        last_error=error,
        claimed_until=None,
        claim_token="",
    )
    Alert.objects.filter(id=row.alert_id).update(last_error=f"{row.email}: {error}")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _smtp_down(
    rows: list[AlertDelivery], token: str, now: datetime, exc: BaseException, result: StepResult
) -> None:
    """SMTP is unreachable: back off the rest of the batch and end the step."""
    for row in rows:
        _retry_later(row, token, now, _describe(exc))
        result.retried += 1
    result.smtp_down = True


def _send_batch(
    rows: list[AlertDelivery],
    token: str,
    now: datetime,
    result: StepResult,
    held: leases.Leases,
) -> None:
    rendered: dict[int, Email] = {}
    wanted: dict[int, set[int]] = {}
    backend = get_connection(fail_silently=False)
    try:
        try:
            backend.open()  # one connection for the whole batch
        except (smtplib.SMTPException, OSError) as exc:
            _smtp_down(rows, token, now, exc, result)
            return
        for index, row in enumerate(rows):
            held.renew_due()  # this batch's lease and those of the channels' requests
            if row.id not in held.ids(token):
                continue
            if not _still_wanted(row, wanted):
                _skip(row, token)
                continue
            try:
                if row.alert_id not in rendered:
                    rendered[row.alert_id] = render_alert(row.alert)
                message = rendered[row.alert_id].message(row.email)
                message.connection = backend
                message.send()
            except MESSAGE_ERRORS as exc:
                _retry_later(row, token, now, _describe(exc))
                result.retried += 1
                continue
            except (smtplib.SMTPException, OSError) as exc:
                _smtp_down(rows[index:], token, now, exc, result)
                return
            except Exception as exc:  # e.g. a template error: keep it on the row, retry later
                log.exception("alert delivery %s failed", row.id)
                _retry_later(row, token, now, _describe(exc))
                result.retried += 1
                continue
            _mark_sent(row, token)
            result.sent += 1
    finally:
        # The server may have gone away mid-batch; the rows are already accounted for.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            backend.close()


def expire_old(now: datetime) -> int:
    """Alerts older than a day are marked failed, never dropped: they show on the admin page."""
    cutoff = now - MAX_AGE
    stale = AlertDelivery.objects.filter(
        status=DeliveryStatus.PENDING, alert__created_at__lt=cutoff
    ).filter(leases.free(now))
    failed = 0
    for row in stale.only("id", "alert_id", "attempts", "last_error")[:1000]:
        error = f"Gave up after a day and {row.attempts} attempt(s). {row.last_error}".strip()
        if AlertDelivery.objects.filter(id=row.id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, last_error=error, claimed_until=None, claim_token=""
        ):
            failed += 1
    failed += Alert.objects.filter(
        status=AlertStatus.PENDING, created_at__lt=cutoff, next_attempt_at__isnull=True
    ).update(
        status=AlertStatus.FAILED,
        last_error="Not sent within a day of being raised (was the sender running?).",
    )
    return failed


def settle_alerts() -> int:
    """Alerts whose deliveries are all done become sent, or failed if any delivery failed."""
    done = (
        Alert.objects.filter(status=AlertStatus.SENDING)
        .exclude(deliveries__status=DeliveryStatus.PENDING)
        .values_list("id", flat=True)
    )
    settled = 0
    for alert_id in list(done[:1000]):
        deliveries = AlertDelivery.objects.filter(alert_id=alert_id)
        failed = deliveries.filter(status=DeliveryStatus.FAILED).select_related("channel").first()
        update: dict = {"sent_at": deliveries.aggregate(last=Max("sent_at"))["last"]}
        if failed is not None:
            target = failed.channel.name if failed.channel else failed.email
            update.update(status=AlertStatus.FAILED, last_error=f"{target}: {failed.last_error}")
        else:
            update.update(status=AlertStatus.SENT, last_error="")
        settled += Alert.objects.filter(id=alert_id, status=AlertStatus.SENDING).update(**update)
    return settled


def _add(result: StepResult, tally: dispatch.Tally) -> None:
    result.sent += tally.sent
    result.retried += tally.retried
    result.failed += tally.failed


def send_due_alerts(
    now: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    dispatcher: dispatch.Dispatcher | None = None,
) -> StepResult:
    """One bounded step of the sender; `now` is a parameter so tests can move time.

    Channel requests run on `dispatcher`'s threads while email goes out here. The loop passes
    its long-lived dispatcher and collects outcomes in a later step; without one, the step
    makes its own and waits for it (a hanging endpoint then costs its timeout, in parallel)."""
    now = now or timezone.now()
    own = dispatcher is None
    pool = dispatcher or dispatch.Dispatcher()
    result = StepResult()
    try:
        result.failed = expire_old(now)
        raise_frequency_alerts(now)
        planned = plan_due_alerts(now)
        result.admitted, result.held = planned.admitted, planned.held
        tally = dispatch.record(pool.finished(), now)
        pool.leases.renew_due()  # channel requests still in flight keep their rows
        for job in dispatch.claim_jobs(now, tally):
            pool.submit(job, now)
        _add(result, tally)
        for _ in range(MAX_BATCHES_PER_STEP):
            token, rows = claim_deliveries(now)
            if not rows:
                break
            pool.leases.hold(token, [row.id for row in rows], now)
            try:
                _send_batch(rows, token, now, result, pool.leases)
            finally:
                pool.leases.drop(token)
            if result.smtp_down or should_stop():  # SIGTERM: finish this batch, not the step
                break
        if own:
            _add(result, dispatch.record(pool.finished(block=True), now))
    finally:
        if own:
            pool.shutdown()
    settle_alerts()
    metrics.alert_outcomes(sent=result.sent, failed=result.failed, retried=result.retried)
    return result


def prune_old(now: datetime) -> int:
    """Forget alerts older than the event retention (their issues' events are gone by then)."""
    cutoff = now - timedelta(days=settings.RETENTION_MAX_DAYS)
    old = Alert.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[AlertStatus.PENDING, AlertStatus.SENDING]
    )
    ids = list(old.values_list("id", flat=True)[:1000])
    prune_minutes(now)
    return Alert.objects.filter(id__in=ids).delete()[1].get("alerts.Alert", 0) if ids else 0


def has_work() -> bool:
    """Anything a step could act on? Without pending or sending alerts and pending deliveries,
    every part of a step is a no-op, so an idle sender asks this instead (1-2 index probes)."""
    active = [AlertStatus.PENDING, AlertStatus.SENDING]
    return (
        Alert.objects.filter(status__in=active).exists()
        or AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists()
        or has_recent_counts(timezone.now())
    )


def run(interval: float = 2.0, stop: threading.Event | None = None) -> None:
    """The sender loop: a step, then a pause; errors are logged and the loop carries on.
    Setting `stop` (the command's SIGTERM handler does) ends the pause at once, so the pause
    is one sleep rather than a poll of a flag every 0.1 s (each wake-up costs CPU)."""
    stop = stop or threading.Event()
    should_stop = stop.is_set
    next_prune = 0.0
    pool = dispatch.Dispatcher()
    while not should_stop():
        close_old_connections()
        try:
            if time.monotonic() >= next_prune:
                prune_old(timezone.now())
                next_prune = time.monotonic() + PRUNE_EVERY
            busy = pool.busy() or has_work()
            result = send_due_alerts(should_stop=should_stop, dispatcher=pool) if busy else None
            if result and (result.sent or result.held or result.retried or result.failed):
                log.info("sendalerts: %s", result)
        except DatabaseError as exc:
            outage.failed(exc, f"retrying in {interval:g} s")
        except Exception:
            log.exception("sendalerts step failed; retrying")
        else:
            outage.succeeded()
        if pool.busy():
            pool.wait_any(interval)  # a channel's answer is recorded as soon as it is in
        else:
            stop.wait(interval)
    # Let the channel threads finish (their leases renewed meanwhile), write down what they did.
    with contextlib.suppress(Exception):
        dispatch.record(pool.finished(block=True), timezone.now())
    pool.shutdown()
