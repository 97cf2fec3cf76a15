"""Leases on alert deliveries: the one claim that email batches and channel requests share.

A sender claims rows by stamping `claimed_until` and its `claim_token`; nobody else claims them
meanwhile, and only the token's holder may mark them. The lease is short
(ALERTS_LEASE_SECONDS) and renewed every third of it while the holder still works on the rows,
so a dead sender's rows go to another sender at most one lease after its last renewal. A row it
had sent but not yet marked is then sent again: repeated, never lost.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from alerts.models import AlertDelivery


def length() -> timedelta:
    return timedelta(seconds=settings.ALERTS_LEASE_SECONDS)


def free(now: datetime) -> Q:
    """Rows that nobody holds at `now` (never claimed, released, or the lease ran out)."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def stamp(ids: Iterable[int], token: str, now: datetime) -> None:
    """Lease `ids` to `token`; call it in the claim's transaction, after locking the rows."""
    AlertDelivery.objects.filter(id__in=list(ids)).update(
        claimed_until=now + length(), claim_token=token
    )


@dataclass
class _Held:
    ids: set[int]
    claimed_at: datetime  # the claimant's `now` (tests move it), advanced by the clock below
    started: float


@dataclass
class Leases:
    """The leases one sender holds (its email batch, its channels' requests in flight),
    renewed together so that a busy step keeps them all. Used by the sender's thread only."""

    clock: Callable[[], float] = time.monotonic
    _held: dict[str, _Held] = field(default_factory=dict)
    _renewed: float | None = None

    def hold(self, token: str, ids: Iterable[int], now: datetime) -> None:
        if self._renewed is None:
            self._renewed = self.clock()
        self._held[token] = _Held(set(ids), now, self.clock())

    def drop(self, token: str) -> None:
        self._held.pop(token, None)

    def ids(self, token: str) -> set[int]:
        """The rows of `token` still ours at the last renewal."""
        held = self._held.get(token)
        return held.ids if held else set()

    def renew_due(self) -> None:
        due = self._renewed is not None and self.clock() - self._renewed >= self.every()
        if self._held and due:
            self.renew()

    def every(self) -> float:
        return length().total_seconds() / 3

    def renew(self) -> None:
        """Extend every lease; a row whose lease ran out while we were stuck may have gone to
        another sender (it sends it now), so it is no longer ours and leaves `ids`."""
        self._renewed = now = self.clock()
        for token, held in list(self._held.items()):
            until = held.claimed_at + timedelta(seconds=now - held.started) + length()
            mine = AlertDelivery.objects.filter(id__in=list(held.ids), claim_token=token)
            mine.update(claimed_until=until)
            held.ids = set(mine.values_list("id", flat=True))
            if not held.ids:
                del self._held[token]
