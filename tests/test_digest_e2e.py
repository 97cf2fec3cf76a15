"""End to end: the real sentry-sdk sends to the live gunicorn's ingest endpoint, a worker
subprocess digests, and the issues come out as the grouping rules say."""

import importlib.util
import logging
import signal
import textwrap
import time
from pathlib import Path

import pytest
import sentry_sdk

from ingest.models import IntakeEvent
from issues.models import Issue
from tests.conftest import dsn_for
from tests.live import start_command

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

CHECKOUT = """
def load_order(order_id):
    total = order_id * 3
    raise ValueError(f"order {order_id} has an invalid total {total}")


def load_invoice(invoice_id):
    raise ValueError(f"invoice {invoice_id} is broken")
"""


@pytest.fixture
def sdk(project, live_server_url):
    """A sentry-sdk client for `project`, flushed and closed after the test."""
    sentry_sdk.init(dsn=dsn_for(project, live_server_url), in_app_include=["shop_checkout"])
    yield
    sentry_sdk.flush(timeout=10)
    sentry_sdk.get_client().close()


def load_module(directory: Path, shift_lines: int = 0):
    """The checkout module from its own file, optionally shifted down by blank lines."""
    directory.mkdir()
    path = directory / "shop_checkout.py"
    path.write_text("\n" * shift_lines + textwrap.dedent(CHECKOUT))
    spec = importlib.util.spec_from_file_location("shop_checkout", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def capture(function, *args) -> None:
    try:
        function(*args)
    except Exception:
        sentry_sdk.capture_exception()


def digest_all(live_server_url: str) -> None:
    sentry_sdk.flush(timeout=10)
    worker = start_command("worker", base_url=live_server_url)
    try:
        deadline = time.monotonic() + 60
        while IntakeEvent.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not IntakeEvent.objects.exists()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0


def test_same_bug_with_other_values_and_shifted_lines_is_one_issue(sdk, live_server_url, tmp_path):
    original = load_module(tmp_path / "a")
    shifted = load_module(tmp_path / "b", shift_lines=7)
    capture(original.load_order, 1)
    capture(original.load_order, 2)
    capture(shifted.load_order, 99)
    digest_all(live_server_url)
    issue = Issue.objects.get()
    assert issue.event_count == 3
    assert issue.title == "ValueError: order 1 has an invalid total 3"
    assert issue.culprit == "shop_checkout in load_order"


def test_same_exception_type_from_two_functions_is_two_issues(sdk, live_server_url, tmp_path):
    module = load_module(tmp_path / "a")
    capture(module.load_order, 1)
    capture(module.load_invoice, 1)
    digest_all(live_server_url)
    assert sorted(Issue.objects.values_list("culprit", flat=True)) == [
        "shop_checkout in load_invoice",
        "shop_checkout in load_order",
    ]


def test_log_records_with_one_template_are_one_issue(sdk, live_server_url):
    logger = logging.getLogger("shop.payments")
    logger.error("Payment %s declined for %s", 17, "bob@example.com")
    logger.error("Payment %s declined for %s", 4242, "amy@example.org")
    logger.error("Refund %s failed", 3)
    digest_all(live_server_url)
    counts = dict(Issue.objects.values_list("title", "event_count"))
    assert counts == {"Payment 17 declined for bob@example.com": 2, "Refund 3 failed": 1}


def test_custom_fingerprints_group_as_the_sdk_says(sdk, live_server_url, tmp_path):
    module = load_module(tmp_path / "a")
    for function in (module.load_order, module.load_invoice):
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["payment-gateway-down"]
            capture(function, 1)
    for tenant in ("a", "b", "b"):
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["{{ default }}", f"tenant-{tenant}"]
            capture(module.load_order, 5)
    digest_all(live_server_url)
    counts = sorted(Issue.objects.values_list("event_count", flat=True))
    assert counts == [1, 2, 2]  # gateway: 2; load_order for tenant a: 1, tenant b: 2
