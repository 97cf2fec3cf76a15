"""`/metrics`: every process's counters (`core.metrics`) plus gauges the apps read from the
database at scrape time (queue depth, digest lag, outbox), right on whichever machine is scraped.
"""

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from alerts.stats import outbox_counts
from core import metrics
from ingest.stats import queue_state

logger = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time: queue depth, digest lag, outbox."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "bugtrack_database_up", "1 if the database answered this scrape's queries."
        )
        try:
            state, outbox_by_status = queue_state(), outbox_counts()
        except Exception:  # the counters are still worth scraping while the database is down
            logger.warning("metrics: database gauges unavailable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "bugtrack_intake_queue_depth", "Events waiting to be digested.", value=state.depth
        )
        yield GaugeMetricFamily(
            "bugtrack_intake_queue_oldest_age_seconds",
            "Age of the oldest undigested event (digest lag); 0 when the queue is empty.",
            value=state.oldest_age,
        )
        outbox = GaugeMetricFamily(
            "bugtrack_alert_outbox",
            "Alerts in the outbox not yet sent, by status.",
            labels=["status"],
        )
        for status, count in outbox_by_status.items():
            outbox.add_metric([status], count)
        yield outbox


def render() -> bytes:
    """Every process's counters plus the database gauges."""
    return metrics.render(DatabaseCollector())
