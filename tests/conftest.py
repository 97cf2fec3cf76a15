import pytest
from django.contrib.auth import get_user_model

from projects.models import Project, Role
from projects.services import add_member, create_project
from tests.live import Gunicorn
from tests.payloads import corpus_summary


def pytest_terminal_summary(terminalreporter) -> None:
    """Say once, even with -q, whether the shared corpus ran besides the repo's fixtures."""
    terminalreporter.write_line(corpus_summary())


@pytest.fixture(scope="session", autouse=True)
def no_backends_left_at_teardown(django_db_setup, django_db_blocker):
    """Live servers and commands run as subprocesses on the test database. PostgreSQL ends a
    backend a moment after its client exits, so one that exited just before the session
    ended could still be there when pytest-django dropped the database ("being accessed by
    other users"). Torn down before django_db_setup: end such leftovers first."""
    yield
    from django.db import connection

    # Without a test asking for the database (tests/faults alone) it was never switched to
    # the test database; the configured one may not exist.
    if connection.vendor != "postgresql" or not connection.settings_dict["NAME"].startswith(
        "test_"
    ):
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker):
    """One gunicorn for the session, on the test database. Use with transactional_db."""
    server = Gunicorn()
    yield server.url
    server.stop()


def make_user(username: str, **kwargs):
    User = get_user_model()
    kwargs.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password="pw-" + username, **kwargs)


@pytest.fixture
def owner(db):
    return make_user("owner")


@pytest.fixture
def member(db):
    return make_user("member")


@pytest.fixture
def outsider(db):
    return make_user("outsider")


@pytest.fixture
def project(db, owner, member) -> Project:
    """A project whose admin is `owner` and plain member is `member`; `outsider` is neither."""
    p = create_project("Backend", admins=[owner])
    add_member(p, member, Role.MEMBER)
    return p


def dsn_for(project: Project, base_url: str) -> str:
    key = project.keys.filter(is_active=True).first()
    scheme, host = base_url.split("://")
    return f"{scheme}://{key.public_key}@{host}/{project.pk}"


@pytest.fixture
def fresh_ingest_state():
    """Ingest keeps per-process caches (keys, rate limits, queue depth): start each test clean."""
    from ingest import auth, ratelimit

    auth.clear_key_cache()
    ratelimit.reset()
    yield
    auth.clear_key_cache()
    ratelimit.reset()


def sentry_auth_header(project: Project) -> dict[str, str]:
    """The X-Sentry-Auth header an SDK would send for the project's first active key."""
    key = project.keys.filter(is_active=True).first()
    return {"HTTP_X_SENTRY_AUTH": f"Sentry sentry_key={key.public_key}, sentry_version=7"}


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """The manifest storage (DEBUG off, as in production) needs collectstatic first."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEBUG:
        call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def fresh_payload_dictionaries():
    """Payload dictionaries are cached per process by id; SQLite reuses ids after a rollback."""
    from events import dictionaries

    dictionaries.reset()
    yield
    dictionaries.reset()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs ~0.5 s per test user on a busy box; tests need none."""
    settings.PASSWORD_HASHERS = ["tests.hashers.FastPBKDF2PasswordHasher"]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free port; Django's email settings point at it."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    server.configure(settings)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out, which fails here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    """Debian's headless Chromium driven by Playwright; skipped only where it is absent."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; our DB calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def receivers(settings):
    """Start real HTTP receivers (`receivers(statuses=[500, 200])`); outbound HTTP may reach
    127.0.0.0/8 for the test, as ALERT_WEBHOOK_ALLOWED_NETWORKS would allow in production."""
    from tests.receivers import Receiver

    settings.ALERT_WEBHOOK_ALLOWED_NETWORKS = ("127.0.0.0/8",)
    started: list[Receiver] = []

    def start(**kwargs) -> Receiver:
        started.append(Receiver(**kwargs).start())
        return started[-1]

    yield start
    for receiver in started:
        receiver.stop()
