"""Per-project zstd dictionaries for event payloads: when one is trained, when one can go.

Events of one project share most of their bytes (SDK, contexts, modules, frames), so a
dictionary trained on the project's own recent events stores an event in a fraction of the
bytes plain zstd needs (figures in docs/performance.md, "Storage"). The digest worker calls
`maintain()` after every loop (never the ingest path); it acts on what `payload.encode()`
recorded, so an idle call costs nothing.

Policy:
- **First dictionary**: once the project has MIN_EVENTS stored events. Checked in the
  database when a worker first encodes an event of the project, then again once it has
  encoded as many more as were missing.
- **Retrain** when the newest dictionary stores the project's current events 1.5x worse
  (stored / JSON bytes over RETRAIN_WINDOW events) than it stored held-out events when it was
  trained, and it is at least a day old: traffic changed (new SDK, new code).
- **Training**: the newest SAMPLE_EVENTS events (at most SAMPLE_BYTES of JSON), every fifth
  held out to measure the dictionary; kept only if it beats plain zstd by 10%. A failed or
  useless training is retried for that project after RETRY_AFTER.
- **Deletion**: a dictionary is deleted only once a newer one of its project has existed for
  RETIRE_MARGIN and the project holds no event received before then, so no stored event can
  still name it (events are compressed at digest time, within seconds of being received;
  the margin covers clock skew and queue backlogs). Deleting the project deletes them all.
"""

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import zstandard
from django.db import IntegrityError
from django.utils import timezone

from events import payload
from events.models import Event, PayloadDictionary

logger = logging.getLogger(__name__)

MIN_EVENTS = 200
SAMPLE_EVENTS = 1000
SAMPLE_BYTES = 8 * 1024 * 1024
MAX_DICT_BYTES = 64 * 1024
MIN_DICT_BYTES = 4 * 1024
SAMPLES_PER_DICT_BYTE = 64  # less training data per dictionary byte made poor dictionaries
HOLD_OUT_EVERY = 5
MIN_GAIN = 0.9  # stored bytes with the dictionary / without, on held-out events
RETRAIN_WINDOW = 1000
RETRAIN_WORSE = 1.5
RETRAIN_MIN_AGE = timedelta(days=1)
RETRY_AFTER = 3600.0
RETIRE_EVERY = 3600.0
RETIRE_MARGIN = timedelta(days=1)
FAILURE_PAUSE = 60.0


@dataclass
class _Watch:
    """This process's view of one project's compression."""

    dict_id: int
    events: int = 0  # encoded since the last check (no dictionary) or in the window
    raw_bytes: int = 0
    stored_bytes: int = 0
    due_at: int = 1  # events after which to check again (no dictionary: 1 = first sight)
    not_before: float = 0.0  # monotonic time; after a failed or useless training


class Maintenance:
    """One process's dictionary bookkeeping: a `_Watch` per project it encoded events of,
    when to look for retirable dictionaries next, and a pause after a failure. Only the
    digest worker's loop calls `maintain()` (one thread), so there is no lock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._watches: dict[int, _Watch] = {}
        self._next_retire = 0.0
        self._paused_until = 0.0

    def reset(self) -> None:
        """Forget all per-process state here and in `payload` (tests)."""
        self._watches.clear()
        self._next_retire = self._paused_until = 0.0
        payload.forget()

    def forget(self, project_id: int) -> None:
        """Start watching the project afresh (it has a new newest dictionary)."""
        self._watches.pop(project_id, None)

    def maintain(self) -> int:
        """Train the dictionaries that are due, retire unreferenced ones now and then.

        Never raises: a failure is logged and pauses dictionary work for a minute, so that it
        cannot slow the digest down. Returns how many dictionaries were trained."""
        now = self.clock()
        if now < self._paused_until:
            return 0
        try:
            usage = payload.take_usage()
            trained = sum(self._maintain_project(pid, now) for pid in self._observe(usage))
            if now >= self._next_retire:
                self._next_retire = now + RETIRE_EVERY
                retire()
            return trained
        except Exception:
            logger.exception("payload dictionary maintenance failed; pausing it")
            self._paused_until = now + FAILURE_PAUSE
            return 0

    def _observe(self, usage: dict[int, payload.Usage]) -> list[int]:
        """Fold what was encoded into the watches; returns the projects that got events."""
        for project_id, used in usage.items():
            watch = self._watches.get(project_id)
            if watch is None or watch.dict_id != used.dict_id:
                watch = self._watches[project_id] = _Watch(
                    used.dict_id, due_at=1 if used.dict_id == 0 else RETRAIN_WINDOW
                )
            watch.events += used.events
            watch.raw_bytes += used.raw_bytes
            watch.stored_bytes += used.stored_bytes
        return list(usage)

    def _maintain_project(self, project_id: int, now: float) -> bool:
        watch = self._watches[project_id]
        if watch.events < watch.due_at or now < watch.not_before:
            return False
        if watch.dict_id == 0:
            stored = Event.objects.filter(project_id=project_id).values("id")[:MIN_EVENTS].count()
            if stored < MIN_EVENTS:
                watch.events, watch.due_at = 0, MIN_EVENTS - stored
                return False
        elif not _compresses_poorly(watch):
            watch.events = watch.raw_bytes = watch.stored_bytes = 0
            return False
        row = train(project_id, replacing=watch.dict_id)  # the module's: tests replace it
        watch.events = watch.raw_bytes = watch.stored_bytes = 0
        if row is None:
            watch.not_before = now + RETRY_AFTER
        return row is not None


maintenance = Maintenance()  # the one per process
maintain = maintenance.maintain
reset = maintenance.reset


def _compresses_poorly(watch: _Watch) -> bool:
    current = (
        PayloadDictionary.objects.filter(dict_id=watch.dict_id)
        .values("ratio", "created_at")
        .first()
    )
    if current is None or timezone.now() - current["created_at"] < RETRAIN_MIN_AGE:
        return False
    return watch.stored_bytes > RETRAIN_WORSE * current["ratio"] * watch.raw_bytes


def train(project_id: int, replacing: int = 0) -> PayloadDictionary | None:
    """Train and store a dictionary from the project's newest events; None if there was not
    enough data, it did not pay, or another worker got there first."""
    dictionaries = PayloadDictionary.objects.filter(project_id=project_id).order_by("-id")
    newest = dictionaries.values_list("dict_id", flat=True).first()
    if newest is not None and newest != replacing:
        payload.forget(project_id)  # another worker trained one: pick it up
        maintenance.forget(project_id)
        return None
    samples = _samples(project_id)
    if len(samples) < MIN_EVENTS and sum(map(len, samples)) < SAMPLE_BYTES:
        return None
    held_out = samples[::HOLD_OUT_EVERY]
    # Typed as train_dictionary() takes it (a list is invariant in its items' type).
    training: list[bytes | bytearray | memoryview] = [
        s for i, s in enumerate(samples) if i % HOLD_OUT_EVERY
    ]
    size = sum(map(len, training)) // SAMPLES_PER_DICT_BYTE
    size = max(MIN_DICT_BYTES, min(MAX_DICT_BYTES, size))
    dict_id = 32768 + secrets.randbelow(2**31 - 32768)
    started = time.process_time()
    try:
        trained = zstandard.train_dictionary(size, training, dict_id=dict_id, level=payload.LEVEL)
    except zstandard.ZstdError as exc:
        logger.info("no payload dictionary for project %s: %s", project_id, exc)
        return None
    raw = sum(map(len, held_out))
    plain = _stored_bytes(zstandard.ZstdCompressor(level=payload.LEVEL), held_out)
    with_dict = _stored_bytes(
        zstandard.ZstdCompressor(level=payload.LEVEL, dict_data=trained), held_out
    )
    if with_dict > MIN_GAIN * plain:
        logger.info(
            "payload dictionary for project %s does not pay (%d vs %d bytes)",
            project_id,
            with_dict,
            plain,
        )
        return None
    try:
        row = PayloadDictionary.objects.create(
            project_id=project_id,
            dict_id=dict_id,
            data=trained.as_bytes(),
            created_at=timezone.now(),
            samples=len(training),
            ratio=with_dict / raw,
        )
    except IntegrityError:  # the rare dict_id clash; the next round tries again
        return None
    payload.use_dictionary(project_id, trained)
    maintenance.forget(project_id)
    logger.info(
        "trained payload dictionary %s for project %s: %d bytes from %d events in %.2f s; "
        "held-out events %d -> %d bytes (plain zstd %d)",
        dict_id,
        project_id,
        len(row.data),
        len(training),
        time.process_time() - started,
        raw,
        with_dict,
        plain,
    )
    return row


def _samples(project_id: int) -> list[bytes]:
    """JSON of the project's newest processed events, newest first, within SAMPLE_BYTES."""
    blobs = (
        Event.objects.filter(project_id=project_id, processing_error="")
        .order_by("-id")
        .values_list("payload", flat=True)[:SAMPLE_EVENTS]
    )
    samples: list[bytes] = []
    total = 0
    for blob in blobs:
        try:
            raw = payload.decompress(blob)
        except (zstandard.ZstdError, payload.UnknownDictionary):
            continue
        if total + len(raw) > SAMPLE_BYTES:
            break
        samples.append(raw)
        total += len(raw)
    return samples


def _stored_bytes(compressor: zstandard.ZstdCompressor, samples: list[bytes]) -> int:
    return sum(len(compressor.compress(s)) for s in samples)


def retire() -> int:
    """Delete dictionaries that no stored event can name any more; returns how many."""
    cutoff = timezone.now() - RETIRE_MARGIN
    rows = PayloadDictionary.objects.order_by("project_id", "id").values_list(
        "id", "project_id", "created_at"
    )
    doomed = []
    previous: tuple[int, int, object] | None = None
    for row in rows:
        pk, project_id, created_at = row
        if previous is not None and previous[1] == project_id and created_at < cutoff:
            # `previous` was last used around `created_at`, when this one replaced it.
            used_until = created_at + RETIRE_MARGIN
            if not Event.objects.filter(project_id=project_id, received_at__lt=used_until).exists():
                doomed.append(previous[0])
        previous = row
    if doomed:
        PayloadDictionary.objects.filter(id__in=doomed).delete()
        logger.info("retired %d payload dictionaries no event uses", len(doomed))
    return len(doomed)
