"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) that keeps what it gets."""

import asyncio
import email
import email.policy
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.live import free_port


class Inbox:
    """aiosmtpd handler: parses and keeps every message; `delay` slows each DATA down."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.rejected: set[str] = set()  # addresses answered with 550
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address.lower() in self.rejected:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)


def check_login(expected: tuple[str, str]):
    """An aiosmtpd authenticator accepting exactly one user name and password."""

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == expected)

    return authenticator


class SmtpServer:
    """Start, stop and restart (same port) a local SMTP server, e.g. to simulate an outage.

    `**smtp_options` go to aiosmtpd: `ssl_context` for implicit TLS, `tls_context` (+
    `require_starttls`) for STARTTLS, `authenticator` (+ `auth_require_tls`) for logins.
    """

    def __init__(self, delay: float = 0.0, **smtp_options) -> None:
        self.port = free_port()
        self.inbox = Inbox(delay)
        self.smtp_options = smtp_options
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def start(self) -> "SmtpServer":
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self.smtp_options
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, settings) -> None:
        """Point Django (a pytest-django `settings` fixture) at this server."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages
