"""Sending channel deliveries (webhook, chat, ntfy) beside email, never behind it.

Each step claims the due deliveries of up to MAX_CHANNELS channels, at most PER_CHANNEL per
channel, under a per-channel lease (`alerts/leases.py`, the email batches' kind: short, and
renewed by the sender's thread while the requests are out; a channel that still has a leased
delivery is not claimed again, by this sender or another). The claimed rows are rendered in
the sender's thread; the HTTP requests of one channel then run in order on one thread of a
pool, which touches no database. So a slow or dead endpoint occupies one thread for at most
its timeout and delays only its own channel; email and the other channels go on. Outcomes are
written back by the sender's thread (`record`), in this step or the next, only by the holder
of the lease token.
"""

import logging
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

from django.db import transaction
from django.utils import timezone

from alerts import leases
from alerts.channels import BUILDERS
from alerts.channels.notice import Notice, Request
from alerts.leases import Leases
from alerts.models import Alert, AlertDelivery, DeliveryStatus
from alerts.notices import notice_for
from core import outbound

log = logging.getLogger(__name__)

PER_CHANNEL = 10
MAX_CHANNELS = 32
WORKERS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
MAX_RETRY_AFTER = timedelta(days=1)

OutcomeKind = Literal["sent", "retry", "failed"]


@dataclass
class Item:
    delivery_id: int
    alert_id: int
    attempts: int
    url: str
    request: Request


@dataclass
class Job:
    channel_id: int
    channel_name: str
    token: str
    items: list[Item]


@dataclass
class Outcome:
    item: Item
    token: str
    channel_name: str
    kind: OutcomeKind
    error: str = ""
    http_status: int | None = None
    retry_after: float | None = None  # seconds, from a 429's Retry-After


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour; a day after the alert, it fails for good."""
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 1.0), MAX_RETRY_AFTER.total_seconds())


def _answer(item: Item, response: outbound.Response) -> tuple[OutcomeKind, str, bool]:
    """(outcome, error, whether the channel is unavailable for the rest of the batch)."""
    status = response.status
    if 200 <= status < 300:
        return "sent", "", False
    snippet = response.body[:200].decode("utf-8", "replace").strip()
    error = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status == 429 or status == 408 or status >= 500:
        return "retry", error, True
    if 300 <= status < 400:
        return "failed", f"HTTP {status}: redirects are not followed; use the final URL.", False
    return "failed", error, False  # the endpoint refuses this message (or is gone)


def run_job(job: Job, resolver: outbound.Resolver = outbound.system_resolver) -> list[Outcome]:
    """One channel's requests, in order, on a pool thread (no database here)."""
    outcomes: list[Outcome] = []
    down: Outcome | None = None
    for item in job.items:
        if down is not None:  # the service is down or rate-limits us: the rest wait too
            outcomes.append(
                Outcome(
                    item, job.token, job.channel_name, "retry", down.error, None, down.retry_after
                )
            )
            continue
        try:
            response = outbound.post(item.url, item.request.body, item.request.headers, resolver)
        except outbound.Refused as exc:
            outcomes.append(Outcome(item, job.token, job.channel_name, "failed", f"Refused: {exc}"))
            continue
        except outbound.Unreachable as exc:
            down = Outcome(item, job.token, job.channel_name, "retry", str(exc))
            outcomes.append(down)
            continue
        except Exception as exc:  # never lose the outcome of a claimed row
            log.exception("alert delivery %s failed", item.delivery_id)
            down = Outcome(item, job.token, job.channel_name, "retry", type(exc).__name__)
            outcomes.append(down)
            continue
        kind, error, unavailable = _answer(item, response)
        outcome = Outcome(item, job.token, job.channel_name, kind, error, response.status)
        if response.status == 429:
            outcome.retry_after = retry_after_seconds(response.headers.get("retry-after"))
        outcomes.append(outcome)
        if unavailable:
            down = outcome
    return outcomes


@dataclass
class Dispatcher:
    """The pool of channel threads and the sender's leases (`leases`, which the email batches
    join). The sender loop keeps one; a single step makes its own and waits for it (tests,
    `sendalerts --once`)."""

    workers: int = WORKERS
    resolver: outbound.Resolver = outbound.system_resolver
    leases: Leases = field(default_factory=Leases)
    _pool: ThreadPoolExecutor | None = None
    _running: dict[Future, Job] = field(default_factory=dict)

    def submit(self, job: Job, now: datetime) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="alert-http")
        self.leases.hold(job.token, [item.delivery_id for item in job.items], now)
        self._running[self._pool.submit(run_job, job, self.resolver)] = job

    def busy(self) -> bool:
        return bool(self._running)

    def finished(self, block: bool = False) -> list[Outcome]:
        """Outcomes of the jobs that are done (all of them, with `block`, renewing the leases
        of those still out meanwhile). Their leases end here: `record` marks their rows."""
        while block and not all(future.done() for future in self._running):
            wait(self._running, timeout=self.leases.every())
            self.leases.renew_due()
        done = [future for future in self._running if future.done()]
        for future in done:
            self.leases.drop(self._running.pop(future).token)
        return [outcome for future in done for outcome in future.result()]

    def wait_any(self, timeout: float) -> None:
        if self._running:
            wait(self._running, timeout=timeout, return_when=FIRST_COMPLETED)
        else:
            time.sleep(timeout)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _due(now: datetime):
    return (
        AlertDelivery.objects.filter(
            status=DeliveryStatus.PENDING, channel__isnull=False, next_attempt_at__lte=now
        )
        .filter(leases.free(now))
        .exclude(
            # A channel with a delivery in flight waits for it: one request per channel at a time.
            channel_id__in=AlertDelivery.objects.filter(
                status=DeliveryStatus.PENDING, channel__isnull=False, claimed_until__gte=now
            ).values("channel_id")
        )
    )


def claim(now: datetime) -> dict[int, tuple[str, list[int]]]:
    """Lease the due deliveries of up to MAX_CHANNELS channels: channel id -> (token, ids)."""
    claimed: dict[int, tuple[str, list[int]]] = {}
    with transaction.atomic():
        rows = list(
            _due(now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", "channel_id")[: MAX_CHANNELS * PER_CHANNEL]
        )
        for delivery_id, channel_id in rows:
            if channel_id not in claimed:
                if len(claimed) == MAX_CHANNELS:
                    continue
                claimed[channel_id] = (uuid.uuid4().hex, [])
            if len(claimed[channel_id][1]) < PER_CHANNEL:
                claimed[channel_id][1].append(delivery_id)
        for token, ids in claimed.values():
            leases.stamp(ids, token, now)
    return claimed


def claim_jobs(now: datetime, tally: Tally) -> list[Job]:
    """Claim and render; a row that cannot be rendered is retried later on its own."""
    jobs = []
    notices: dict[int, Notice] = {}
    for token, ids in claim(now).values():
        rows = (
            AlertDelivery.objects.filter(id__in=ids, claim_token=token)
            .select_related("channel", "alert", "alert__project", "alert__issue__project")
            .select_related("alert__rule")
            .order_by("next_attempt_at", "id")
        )
        items = []
        channel = None
        for row in rows:
            channel = row.channel
            assert channel is not None
            try:
                if row.alert_id not in notices:
                    notices[row.alert_id] = notice_for(row.alert)
                request = BUILDERS[channel.kind](notices[row.alert_id], channel.secret, row.id)
            except Exception as exc:
                log.exception("alert delivery %s could not be rendered", row.id)
                item = Item(row.id, row.alert_id, row.attempts, "", Request(b"", {}))
                _mark(Outcome(item, token, channel.name, "retry", type(exc).__name__), now, tally)
                continue
            items.append(Item(row.id, row.alert_id, row.attempts, channel.url, request))
        if items and channel is not None:
            jobs.append(Job(channel.pk, channel.name, token, items))
    return jobs


def _mark(outcome: Outcome, now: datetime, tally: Tally) -> None:
    item = outcome.item
    mine = AlertDelivery.objects.filter(id=item.delivery_id, claim_token=outcome.token)
    done: dict[str, object] = {
        "claimed_until": None,
        "claim_token": "",
        "updated_at": now,
        "http_status": outcome.http_status,
    }
    attempts = item.attempts + 1
    if outcome.kind == "sent":
        mine.update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=attempts, last_error="", **done
        )
        tally.sent += 1
        return
    error = outcome.error[:2000]
    if outcome.kind == "failed":
        mine.update(status=DeliveryStatus.FAILED, attempts=attempts, last_error=error, **done)
        tally.failed += 1
    else:
        wait_for = (
            timedelta(seconds=outcome.retry_after) if outcome.retry_after else backoff(attempts)
        )
        mine.update(attempts=attempts, next_attempt_at=now + wait_for, last_error=error, **done)
        tally.retried += 1
    Alert.objects.filter(id=item.alert_id).update(last_error=f"{outcome.channel_name}: {error}")


def record(outcomes: list[Outcome], now: datetime) -> Tally:
    tally = Tally()
    for outcome in outcomes:
        _mark(outcome, now, tally)
    return tally
