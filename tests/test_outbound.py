"""The guarded outbound HTTP client (core/outbound.py) against real local receivers."""

import os
import subprocess
import sys
import time

import pytest

from core import outbound

HOSTILE_URLS = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://168.63.129.16/metadata",
    "http://100.100.100.200/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://0.0.0.0/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
    "http://[::]/hook",
    "http://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/hook",  # NAT64 around 10.0.0.1
    "http://2130706433/hook",  # 127.0.0.1 as one number
    "http://0x7f.1/hook",
    "ftp://example.com/hook",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://user:pass@example.com/hook",
    "http:///hook",
    "not a url",
]


def fake_dns(table: dict[str, list[str]]):
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in table:
            raise OSError("no such host")
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_hostile_urls_are_refused_before_any_connection(url, settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    with pytest.raises(outbound.OutboundError):
        outbound.check(url)
    with pytest.raises(outbound.OutboundError):
        outbound.post(url, b"{}", {})


def test_a_name_with_one_private_address_among_public_ones_is_refused(settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    dns = fake_dns({"hooks.example.com": ["93.184.215.14", "10.0.0.7"]})
    with pytest.raises(outbound.Refused):
        outbound.check("https://hooks.example.com/x", dns)


def test_a_public_name_is_accepted_and_connects_to_the_address_it_resolved_to(settings):
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    dns = fake_dns({"hooks.example.com": ["93.184.215.14"]})
    target = outbound.check("https://hooks.example.com:8443/a/b?c=d", dns)
    assert (target.address, target.host, target.port, target.path) == (
        "93.184.215.14", "hooks.example.com", 8443, "/a/b?c=d",
    )  # fmt: skip


def test_the_allowed_networks_let_a_private_address_through(receivers):
    receiver = receivers()
    response = outbound.post(receiver.url, b'{"a": 1}', {"Content-Type": "application/json"})
    assert response.status == 200 and response.body == b"ok"
    assert receiver.requests[0].body == b'{"a": 1}'
    assert receiver.requests[0].headers["User-Agent"] == "Bugtrack"


def test_the_name_is_resolved_once_and_the_host_header_keeps_the_name(receivers):
    receiver = receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    dns = fake_dns({"hooks.example.test": ["127.0.0.1"]})
    outbound.post(f"http://hooks.example.test:{port}/hook", b"{}", {}, resolver=dns)
    assert dns.calls == ["hooks.example.test"]
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{port}"


def test_a_name_that_turns_private_after_the_check_is_refused_at_send_time(receivers, settings):
    receiver = receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    table = {"rebind.example.test": ["93.184.215.14"]}
    dns = fake_dns(table)
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    outbound.check(f"http://rebind.example.test:{port}/hook", dns)  # fine when saved
    table["rebind.example.test"] = ["127.0.0.1"]
    with pytest.raises(outbound.Refused):
        outbound.post(f"http://rebind.example.test:{port}/hook", b"{}", {}, resolver=dns)
    assert receiver.requests == []


def test_redirects_are_not_followed(receivers):
    target = receivers()
    redirecting = receivers(statuses=[302], answer_headers={"Location": target.url})
    response = outbound.post(redirecting.url, b"{}", {})
    assert response.status == 302
    assert target.requests == []


def test_at_most_64_kib_of_an_answer_is_read(receivers):
    receiver = receivers(answer_body=b"x" * (1024 * 1024))
    response = outbound.post(receiver.url, b"{}", {})
    assert len(response.body) == outbound.MAX_BODY


def test_a_hanging_endpoint_times_out_with_a_message_without_the_url(receivers):
    receiver = receivers(hang=30)
    started = time.monotonic()
    with pytest.raises(outbound.Unreachable) as raised:
        outbound.post(receiver.url + "?token=s3cret", b"{}", {}, timeout=1.0)
    assert time.monotonic() - started < 5
    assert "s3cret" not in str(raised.value) and "127.0.0.1" not in str(raised.value)


def test_a_closed_port_is_unreachable_without_the_url_in_the_message(receivers):
    receiver = receivers()
    url = receiver.url + "?token=s3cret"
    receiver.stop()
    with pytest.raises(outbound.Unreachable) as raised:
        outbound.post(url, b"{}", {})
    assert "s3cret" not in str(raised.value)


def test_an_unresolvable_name_is_unreachable_not_refused():
    with pytest.raises(outbound.Unreachable):
        outbound.check("https://nowhere.invalid/hook", fake_dns({}))


def test_a_bad_allowed_networks_value_stops_the_start():
    env = {**os.environ, "ALERT_WEBHOOK_ALLOWED_NETWORKS": "10.0.0.0/8,not-a-network"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "bugtrack.settings"},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "ALERT_WEBHOOK_ALLOWED_NETWORKS" in done.stderr


def test_get_goes_through_the_same_guard(receivers, settings):
    receiver = receivers()
    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ()
    with pytest.raises(outbound.Refused):
        outbound.get(receiver.url)
    assert receiver.requests == []
