"""What settings.py and gunicorn's config both read before Django is set up: the optional
`.env` file and the default listen address. No Django imports (gunicorn.conf.py uses it).
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ

ENV_FILE = Path(__file__).resolve().parent.parent / ".env"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def read_env_file() -> None:
    """Load `.env` in the repository root (KEY=value lines) into os.environ if it exists.
    Variables already in the environment win over the file.

    Not in a test session (pytest sets PYTEST_VERSION for it and the processes it starts):
    a developer's local settings must not change what the tests see."""
    if ENV_FILE.is_file() and not os.environ.get("PYTEST_VERSION"):
        environ.Env.read_env(ENV_FILE)


def default_bind(base_url: str) -> str:
    """The address to listen on when BIND is unset: 127.0.0.1 on BASE_URL's port if it names
    one (so `BASE_URL=http://127.0.0.1:9000 make run` serves on 9000), else 127.0.0.1:8000."""
    try:
        port = urlsplit(base_url).port
    except ValueError:  # not a valid port; settings reports a bad BASE_URL
        port = None
    return f"127.0.0.1:{port or 8000}"
