"""Alert email templates, their context, the preview command and `sendtestemail`."""

import re
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from alerts.emails import (
    alert_context,
    alert_event,
    make_test_email,
    make_test_email_context,
    render_alert,
    render_sample,
    sample_context,
    summary_context,
)
from alerts.frames import top_frames
from alerts.models import Alert, AlertKind, AlertStatus
from events.payload import encode
from tests.alert_factories import new_issue_with_alert, python_payload
from tests.live import ROOT, process_env
from tests.smtp import SmtpServer, check_login

TEMPLATES = Path(django_settings.BASE_DIR) / "templates" / "emails"


def assert_bodies_use(name: str, context: dict) -> None:
    for body in ("body.txt", "body.html"):
        source = (TEMPLATES / name / body).read_text()
        unused = [key for key in context if not re.search(rf"\b{key}\b", source)]
        assert unused == [], f"{name}/{body} does not use {unused}"


@pytest.mark.django_db
def test_alert_bodies_use_every_context_variable(project):
    _, alert = new_issue_with_alert(project)
    context = alert_context(alert)
    assert set(context) == set(sample_context())
    assert_bodies_use("alert", context)


@pytest.mark.django_db
def test_summary_and_test_bodies_use_every_context_variable(project):
    summary = Alert.objects.create(
        project=project, kind=AlertKind.SUMMARY, created_at=project.created_at
    )
    assert_bodies_use("alert_summary", summary_context(summary))
    assert_bodies_use("alert_test", make_test_email_context(project))


def test_every_scalar_of_the_sample_shows_in_both_bodies():
    context = sample_context()
    email = render_sample()
    for key, value in context.items():
        if isinstance(value, str | int) and key != "kind_label":
            assert str(value) in email.text, key
            assert str(value) in email.html, key
    assert email.subject == "[Backend] New issue: ZeroDivisionError: division by zero"


@pytest.mark.django_db
def test_untrusted_titles_are_escaped_in_html_and_flattened_in_the_subject(project):
    _, alert = new_issue_with_alert(project, title="<script>alert(1)</script>\r\nBcc: x@evil")
    email = render_alert(alert)
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text
    assert "\n" not in email.subject and "\r" not in email.subject
    email.message("a@example.com").message()  # would raise BadHeaderError on a newline


@pytest.mark.django_db
def test_alert_summary_and_test_emails_are_marked_automated(project):
    _, alert = new_issue_with_alert(project)
    summary = Alert.objects.create(
        project=project, kind=AlertKind.SUMMARY, created_at=project.created_at
    )
    messages = [render_alert(alert).message("a@example.com"), make_test_email(project, "a@x.org")]
    messages.append(render_alert(summary).message("a@example.com"))
    for message in messages:
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_an_alert_whose_event_is_gone_still_renders(project):
    issue, alert = new_issue_with_alert(project)
    issue.events.all().delete()
    email = render_alert(alert)
    assert "No stack trace." in email.text


@pytest.mark.django_db
def test_a_regression_alert_shows_its_own_event_not_the_issue_s_first(project):
    issue, first_alert = new_issue_with_alert(project)
    later = issue.events.get()
    later.pk, later.event_id = None, "f" * 32
    later.payload = encode(python_payload(later.event_id, "ValueError: the regression"))
    later.save()
    alert = Alert.objects.create(
        project=project,
        issue=issue,
        kind=AlertKind.REGRESSION,
        event_id=later.event_id,
        created_at=later.received_at,
    )
    assert alert_event(alert).event_id == later.event_id
    assert alert_event(first_alert).event_id == first_alert.event_id


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"exception": "nope"},
        {"exception": {"values": {"a": 1}}},
        {"exception": {"values": [None, {"stacktrace": {"frames": "x"}}]}},
        {"exception": [{"stacktrace": {"frames": [None, 3, {"lineno": "7", "function": 5}]}}]},
        {"threads": {"values": [{"stacktrace": None}, "x"]}},
    ],
)
def test_odd_payload_shapes_never_crash_frame_extraction(payload):
    frames = top_frames(payload)
    assert all(f["lineno"] is None or isinstance(f["lineno"], int) for f in frames)


def test_frames_come_from_the_raised_exception_crash_end_first():
    def frame(name: str, in_app: bool = True) -> dict:
        return {"filename": f"{name}.py", "function": name, "lineno": 1, "in_app": in_app}

    payload = {
        "exception": {
            "values": [
                {"stacktrace": {"frames": [frame("cause")]}},
                {"stacktrace": {"frames": [frame("outer"), frame("lib", False), frame("inner")]}},
            ]
        }
    }
    assert [f["function"] for f in top_frames(payload)] == ["inner", "outer"]


def test_frames_fall_back_to_the_crashed_thread_and_to_all_frames():
    payload = {
        "threads": {
            "values": [
                {"stacktrace": {"frames": [{"function": "idle"}]}},
                {"crashed": True, "stacktrace": {"frames": [{"function": "a"}, {"function": "b"}]}},
            ]
        }
    }
    assert [f["function"] for f in top_frames(payload)] == ["b", "a"]


def test_alertpreview_prints_a_rendered_sample(capsys):
    call_command("alertpreview", "--kind", "regression")
    out = capsys.readouterr().out
    assert out.startswith("Subject: [Backend] Regression: ZeroDivisionError")
    assert "shop/cart.py:17 in average" in out and "<!doctype html>" in out


@pytest.mark.django_db
def test_alertpreview_renders_an_existing_alert(project, capsys):
    _, alert = new_issue_with_alert(project, title="TypeError: nope")
    call_command("alertpreview", "--alert", str(alert.pk))
    assert "[Backend] New issue: TypeError: nope" in capsys.readouterr().out
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.PENDING  # preview sends nothing


def test_django_sendtestemail_works_with_email_url():
    server = SmtpServer().start()
    try:
        env = process_env("http://127.0.0.1:8000", EMAIL_URL=server.url)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "sendtestemail", "ops@example.com"],
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        messages = server.wait_for(1)
        assert [m["To"] for m in messages] == ["ops@example.com"]
    finally:
        server.stop()


def test_console_email_url_prints_the_message():
    env = process_env("http://127.0.0.1:8000", EMAIL_URL="console://")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "sendtestemail", "ops@example.com"],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    assert "To: ops@example.com" in done.stdout


@pytest.fixture
def self_signed_cert(tmp_path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate for the TLS test server")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize("scheme", ["smtp+tls", "smtp+ssl"])
def test_sendtestemail_works_over_tls_with_a_login(scheme, self_signed_cert):
    cert, key = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if scheme == "smtp+ssl":
        # aiosmtpd cannot tell that an implicit-TLS socket is encrypted: allow AUTH anyway.
        tls = {"ssl_context": context, "auth_require_tls": False}
    else:
        tls = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    server = SmtpServer(authenticator=check_login(("alerts", "s3cret/pw")), **tls)
    server.start()
    try:
        env = process_env(
            "http://127.0.0.1:8000",
            # A slash in the password must be percent-encoded in the URL.
            EMAIL_URL=f"{scheme}://alerts:s3cret%2Fpw@127.0.0.1:{server.port}",
            SSL_CERT_FILE=str(cert),  # trust our own certificate in the child process
        )
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "sendtestemail", "ops@example.com"],
            env=env,
            timeout=60,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert [m["To"] for m in server.wait_for(1)] == ["ops@example.com"]
    finally:
        server.stop()
