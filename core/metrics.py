"""Every Prometheus metric Bugtrack exposes, and the functions other apps call to move them.

Counters and histograms live in each process. With PROMETHEUS_MULTIPROC_DIR set (gunicorn's
config and `serve` set it), each process writes them to a file there and `/metrics`
sums all files, so any gunicorn worker answers for all of them and for the background
commands started beside it. Gauges read from the database at scrape time are ops' business
(`ops.metrics`): this module is the ground layer and imports no app.
"""

import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

from core.multiproc import ENV, process_identifier

MULTIPROC_DIR = os.environ.get(ENV, "")
if MULTIPROC_DIR:
    values.ValueClass = values.MultiProcessValue(process_identifier)

# "unavailable": the database refused the insert (503); the SDK will retry.
REJECT_REASONS = (
    "auth",
    "size",
    "rate_limit",
    "malformed",
    "backpressure",
    "unavailable",
    "overload",
)

EVENTS_ACCEPTED = Counter("bugtrack_events_accepted", "Events committed to the intake queue.")
EVENTS_REJECTED = Counter(
    "bugtrack_events_rejected", "Events (or requests) refused at ingest, by reason.", ["reason"]
)
DIGEST_BATCH_SECONDS = Histogram(
    "bugtrack_digest_batch_duration_seconds",
    "Time to digest one batch of intake rows.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DIGEST_BATCH_SIZE = Histogram(
    "bugtrack_digest_batch_size",
    "Intake rows digested per batch.",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
ISSUES_CREATED = Counter("bugtrack_issues_created", "New issues created by the digest.")
ALERTS = Counter("bugtrack_alerts", "Alert deliveries, by outcome.", ["outcome"])
# kind: signin, reset (password-reset requests), api (bad bearer tokens).
THROTTLE_KINDS = ("signin", "reset", "api")
SIGNIN_LOCKOUTS = Counter(
    "bugtrack_signin_lockouts", "Keys (username, address) locked out, by kind.", ["kind"]
)
SIGNIN_REFUSED = Counter(
    "bugtrack_signin_refused", "Attempts refused because a key was locked, by kind.", ["kind"]
)
REQUEST_SECONDS = Histogram(
    "bugtrack_request_duration_seconds",
    "HTTP request latency by view.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Zero-valued series exist from the start, so rate() works before the first rejection.
for _reason in REJECT_REASONS:
    EVENTS_REJECTED.labels(_reason)
for _outcome in ("sent", "failed", "retried"):
    ALERTS.labels(_outcome)
for _kind in THROTTLE_KINDS:
    SIGNIN_LOCKOUTS.labels(_kind)
    SIGNIN_REFUSED.labels(_kind)


# Hooks for the other apps: plain calls, cheap enough for the ingest hot path.
def event_accepted(count: int = 1) -> None:
    EVENTS_ACCEPTED.inc(count)


def event_rejected(reason: str, count: int = 1) -> None:
    if reason not in REJECT_REASONS:
        raise ValueError(f"unknown reject reason {reason!r}")
    EVENTS_REJECTED.labels(reason).inc(count)


def digest_batch(seconds: float, size: int) -> None:
    DIGEST_BATCH_SECONDS.observe(seconds)
    DIGEST_BATCH_SIZE.observe(size)


@contextmanager
def time_digest_batch(size: int) -> Iterator[None]:
    """`with time_digest_batch(len(rows)):` around one batch; records only on success."""
    started = time.perf_counter()
    yield
    digest_batch(time.perf_counter() - started, size)


def issues_created(count: int = 1) -> None:
    ISSUES_CREATED.inc(count)


def alert_sent() -> None:
    ALERTS.labels("sent").inc()


def alert_failed() -> None:
    """An alert gave up for good (no more retries)."""
    ALERTS.labels("failed").inc()


def alert_retried() -> None:
    """A delivery attempt failed and the alert was scheduled again."""
    ALERTS.labels("retried").inc()


def alert_outcomes(sent: int = 0, failed: int = 0, retried: int = 0) -> None:
    """One sender step's tally of deliveries (the same meanings as the three above)."""
    for outcome, count in (("sent", sent), ("failed", failed), ("retried", retried)):
        if count:
            ALERTS.labels(outcome).inc(count)


def signin_lockout(kind: str) -> None:
    SIGNIN_LOCKOUTS.labels(kind).inc()


def signin_refused(kind: str) -> None:
    SIGNIN_REFUSED.labels(kind).inc()


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"  # bounded label values
    REQUEST_SECONDS.labels(view, method, str(status)).observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _ProcessLocal(Collector):
    """Without a multiprocess directory (tests, runserver): this process's own metrics."""

    def collect(self) -> Iterable:
        return REGISTRY.collect()


def render(*collectors: Collector) -> bytes:
    """The exposition text: every process's counters plus the given collectors' metrics."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessLocal())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
