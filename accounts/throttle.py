"""Throttling guesses: sign-ins, password-reset requests and API tokens.

Each attempt has keys (the username, the client address); MAX_FAILURES failures in a row on
a key lock it, and while any of its keys is locked an attempt is refused before the password
is even checked. Each lockout of a key lasts twice as long as its last one; a day without
failures forgets it. A successful sign-in clears its keys.
"""

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import FailureCount
from core import metrics

logger = logging.getLogger(__name__)

MAX_FAILURES = 10
FIRST_LOCKOUT = timedelta(minutes=1)
MAX_LOCKOUT = timedelta(days=1)
FORGET_AFTER = timedelta(days=1)
KEY_LENGTH = FailureCount._meta.get_field("key").max_length or 200


@dataclass(frozen=True)
class Lock:
    until: datetime

    def retry_after(self, now: datetime | None = None) -> int:
        """Whole seconds until the lock runs out (at least 1), for `Retry-After`."""
        left = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(left))

    def message(self) -> str:
        minutes = math.ceil(self.retry_after() / 60)
        return (
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )


def _key(kind: str, what: str, value: str) -> str:
    return f"{kind}:{what}:{value.strip().lower()}"[:KEY_LENGTH]


def signin_keys(username: str, address: str) -> list[str]:
    keys = [_key("signin", "ip", address)]
    if username:
        keys.append(_key("signin", "user", username))
    return keys


def reset_keys(email: str, address: str) -> list[str]:
    return [_key("reset", "ip", address), _key("reset", "email", email)]


def api_keys(address: str) -> list[str]:
    return [_key("api", "ip", address)]


def _kind(keys: Iterable[str]) -> str:
    return next(iter(keys)).split(":", 1)[0]


def locked(keys: list[str], now: datetime | None = None) -> Lock | None:
    """The lock in force on any of `keys` (the longest), or None; counts a refusal."""
    now = now or timezone.now()
    rows = FailureCount.objects.filter(key__in=keys, locked_until__gt=now)
    until = rows.order_by("-locked_until").values_list("locked_until", flat=True).first()
    if until is None:
        return None
    metrics.signin_refused(_kind(keys))
    return Lock(until)


def _lockout(rounds: int) -> timedelta:
    return min(FIRST_LOCKOUT * 2 ** min(rounds - 1, 30), MAX_LOCKOUT)


@transaction.atomic
def failed(keys: list[str], now: datetime | None = None) -> Lock | None:
    """Count one failure on each key; the lock it started, if it started one."""
    now = now or timezone.now()
    started: Lock | None = None
    for key in sorted(keys):  # one lock order, against deadlocks
        FailureCount.objects.get_or_create(key=key, defaults={"last_failure_at": now})
        row = FailureCount.objects.select_for_update().get(key=key)
        if now - row.last_failure_at > FORGET_AFTER:
            row.failures, row.rounds = 0, 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= MAX_FAILURES:
            row.failures = 0
            row.rounds += 1
            row.locked_until = now + _lockout(row.rounds)
            started = Lock(row.locked_until)
            metrics.signin_lockout(_kind([key]))
            logger.warning(
                "%s locked until %s (lockout %d)",
                key,
                row.locked_until.isoformat(),
                row.rounds,
                extra={"throttle_key": key, "lockout_round": row.rounds},
            )
        row.save()
    return started


def succeeded(keys: list[str]) -> None:
    FailureCount.objects.filter(key__in=keys).delete()
