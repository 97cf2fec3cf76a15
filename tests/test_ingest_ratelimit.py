"""The per-project minute counter and the queue-depth cap, called directly."""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ingest import ratelimit
from ingest.errors import RateLimited
from ingest.models import IntakeEvent, RateCounter
from tests.digest_factories import intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_ingest_state")]

T0 = 29_000_000 * 60.0  # the start of some minute


def count(project_id: int, limit: int, now: float) -> None:
    with transaction.atomic():
        ratelimit.count_event(project_id, limit, now)


def test_the_count_is_shared_through_the_database_not_process_memory():
    for _ in range(3):
        count(1, 3, T0 + 1)
    ratelimit.reset()  # as if the next request went to another process
    with pytest.raises(RateLimited) as exc:
        count(1, 3, T0 + 2)
    assert exc.value.scope == "project"
    assert exc.value.retry_after == 58


def test_the_refused_event_is_not_counted():
    count(1, 1, T0)
    with pytest.raises(RateLimited):
        count(1, 1, T0)
    assert RateCounter.objects.get(project_id=1).events == 1


def test_once_over_the_limit_the_process_refuses_from_memory():
    count(1, 1, T0)
    with pytest.raises(RateLimited):
        count(1, 1, T0)
    with pytest.raises(RateLimited):
        ratelimit.check_project(1, T0 + 30)
    ratelimit.check_project(1, T0 + 60)  # a new minute: allowed again
    ratelimit.check_project(2, T0 + 30)  # other projects are not affected


def test_a_new_minute_starts_a_new_count_and_old_minutes_are_deleted():
    count(1, 1, T0)
    count(1, 1, T0 + 60)
    count(1, 1, T0 + 60 * 5)
    assert list(RateCounter.objects.values_list("minute", flat=True)) == [T0 // 60 + 5]


def test_projects_are_counted_separately():
    count(1, 1, T0)
    count(2, 1, T0)
    assert RateCounter.objects.count() == 2


def counter_writes(fn) -> int:
    """How many upserts of the counter table ran while running fn."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    return sum(
        q["sql"].startswith("INSERT") and "ratecounter" in q["sql"]
        for q in queries.captured_queries
    )


def test_far_from_the_limit_events_are_added_to_the_database_once_a_second():
    count(1, 1000, T0)
    assert counter_writes(lambda: [count(1, 1000, T0 + 0.05 * i) for i in range(10)]) == 0
    assert counter_writes(lambda: count(1, 1000, T0 + 1.5)) == 1
    assert RateCounter.objects.get().events == 12


def test_small_limits_are_written_through_on_every_event_so_they_are_exact():
    for i in range(5):
        assert counter_writes(lambda i=i: count(1, 10, T0 + 0.01 * i)) == 1
    assert RateCounter.objects.get().events == 5


def test_near_a_large_limit_every_event_is_written_through():
    count(1, 1000, T0)
    RateCounter.objects.filter(project_id=1).update(events=850)  # counted elsewhere
    count(1, 1000, T0 + 1.5)  # a second later: flushes and reads 851
    for i in range(3):
        assert counter_writes(lambda i=i: count(1, 1000, T0 + 1.6 + 0.01 * i)) == 1
    assert RateCounter.objects.get().events == 854


def test_another_process_s_events_count_against_the_limit():
    count(1, 10, T0)
    RateCounter.objects.filter(project_id=1).update(events=10)  # nine more, elsewhere
    with pytest.raises(RateLimited):
        count(1, 10, T0 + 2)  # the next write-through reads 10 + 1


@pytest.mark.parametrize("offset,expected", [(0.0, 60), (0.5, 60), (59.2, 1), (59.99, 1), (30, 30)])
def test_retry_after_is_the_rest_of_the_minute_as_a_whole_number(offset, expected):
    assert ratelimit.seconds_left_in_minute(T0 + offset) == expected


def add_intake_rows(n: int) -> None:
    for _ in range(n):
        intake(1)


def test_a_full_queue_is_refused_for_the_whole_organization(settings):
    settings.INGEST_MAX_QUEUE_DEPTH = 3
    add_intake_rows(2)
    ratelimit.check_queue(T0)
    ratelimit.reset()
    add_intake_rows(1)
    with pytest.raises(RateLimited) as exc:
        ratelimit.check_queue(T0)
    assert exc.value.scope == "organization"
    assert exc.value.retry_after > 0


def test_the_queue_depth_is_counted_at_most_once_a_second(settings, django_assert_num_queries):
    settings.INGEST_MAX_QUEUE_DEPTH = 100
    with django_assert_num_queries(1):
        for i in range(50):
            ratelimit.check_queue(T0 + i / 100)
    with django_assert_num_queries(1):
        ratelimit.check_queue(T0 + 1.5)


def test_events_queued_by_this_process_count_before_the_next_recount(settings):
    settings.INGEST_MAX_QUEUE_DEPTH = 2
    ratelimit.check_queue(T0)
    ratelimit.note_queued(2)
    with pytest.raises(RateLimited):
        ratelimit.check_queue(T0 + 0.1)


@pytest.mark.django_db(transaction=True)
def test_events_counted_by_other_threads_during_a_flush_are_kept():
    # gunicorn's gthread workers count on several threads of one process. While one thread
    # writes the pending count to the database, others keep counting in memory; the flush
    # must not reset what they added meanwhile.
    count(1, 10**9, T0)  # written through: the batching window starts at T0
    seen: list[str] = []
    flushing, release = threading.Event(), threading.Event()
    upsert = _held(_counter_upsert, seen, flushing, release)
    flusher = _in_thread(lambda: count(1, 10**9, T0 + 1.5), upsert)  # a flush is due
    assert flushing.wait(10)  # it has taken the pending count and is writing it
    for _ in range(100):
        assert ratelimit.count_in_memory(1, 10**9, T0 + 0.5)  # counted in memory
    release.set()
    flusher.join(10)
    count(1, 10**9, T0 + 3.0)  # flushes what is pending, plus itself
    assert RateCounter.objects.get(project_id=1).events == 1 + 1 + 100 + 1


def _queue_count(sql: str) -> bool:
    return "COUNT(" in sql.upper() and IntakeEvent._meta.db_table in sql


def _counter_upsert(sql: str) -> bool:
    return sql.startswith("INSERT") and RateCounter._meta.db_table in sql


def _counter_cleanup(sql: str) -> bool:
    return sql.startswith("DELETE") and RateCounter._meta.db_table in sql


def _held(matches, seen: list[str], reached: threading.Event, release: threading.Event):
    """A connection.execute_wrapper that notes matching statements and holds the first one
    until `release` is set: a deterministic point to let another thread in."""

    def wrapper(execute, sql, params, many, context):
        if matches(sql):
            seen.append(sql)
            if not reached.is_set():
                reached.set()
                release.wait(10)
        return execute(sql, params, many, context)

    return wrapper


def _in_thread(fn, wrapper) -> threading.Thread:
    def run() -> None:
        with connection.execute_wrapper(wrapper):
            fn()
        connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_threads_finding_the_queue_depth_stale_together_count_the_queue_once(settings):
    # While one thread recounts the queue, the others keep the last count: no second COUNT,
    # and no unlocked write of a count that could land after a newer one.
    settings.INGEST_MAX_QUEUE_DEPTH = 100
    seen: list[str] = []
    counting, release = threading.Event(), threading.Event()
    wrapper = _held(_queue_count, seen, counting, release)
    first = _in_thread(lambda: ratelimit.check_queue(T0), wrapper)
    assert counting.wait(10)
    with connection.execute_wrapper(wrapper):
        ratelimit.check_queue(T0 + 0.01)  # meanwhile, on another thread
    release.set()
    first.join(10)
    assert len(seen) == 1
    with CaptureQueriesContext(connection) as queries:
        ratelimit.check_queue(T0 + 0.5)  # the first thread's count is kept for a second
    assert not queries.captured_queries


@pytest.mark.django_db(transaction=True)
def test_threads_turning_the_minute_together_delete_old_minutes_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: the second writer waits for the first one's BEGIN IMMEDIATE")
    seen: list[str] = []
    deleting, release = threading.Event(), threading.Event()
    wrapper = _held(_counter_cleanup, seen, deleting, release)
    first = _in_thread(lambda: count(1, 10, T0), wrapper)
    assert deleting.wait(10)
    with connection.execute_wrapper(wrapper):
        count(2, 10, T0 + 0.01)  # the same new minute, on another thread
    release.set()
    first.join(10)
    assert len(seen) == 1
    assert sorted(RateCounter.objects.values_list("project_id", "events")) == [(1, 1), (2, 1)]
