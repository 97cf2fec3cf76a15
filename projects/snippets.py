"""Copy-ready SDK set-up snippets for a DSN, one per platform, shown on the setup page."""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Snippet:
    id: str  # stable, used in element ids
    title: str
    install: str  # shell command that installs the SDK ("" if none)
    code: str


def envelope_url(dsn: str) -> tuple[str, str]:
    """(envelope endpoint URL, public key) for a DSN `scheme://key@host[/path]/project_id`."""
    parts = urlsplit(dsn)
    path, _, project_id = parts.path.rpartition("/")
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{path}/api/{project_id}/envelope/", parts.username or ""


# The event id is random per run; the JSON quoting is for a POSIX shell.
CURL_TEMPLATE = """EVENT_ID=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')
printf '%s\\n%s\\n%s\\n' \\
  "{\\"event_id\\":\\"$EVENT_ID\\"}" \\
  '{"type":"event"}' \\
  "{\\"event_id\\":\\"$EVENT_ID\\",\\"level\\":\\"error\\",\\"message\\":\\"Hello from curl\\",\\
\\"release\\":\\"__RELEASE__\\",\\"environment\\":\\"__ENVIRONMENT__\\"}" |
curl -sS -X POST '__URL__' \\
  -H 'Content-Type: application/x-sentry-envelope' \\
  -H 'X-Sentry-Auth: Sentry sentry_version=7, sentry_key=__KEY__, sentry_client=curl/1.0' \\
  --data-binary @-"""


def _curl(dsn: str) -> str:
    url, key = envelope_url(dsn)
    return (
        CURL_TEMPLATE.replace("__KEY__", key)
        .replace("__URL__", url)
        .replace("__RELEASE__", RELEASE)
        .replace("__ENVIRONMENT__", ENVIRONMENT)
    )


# Placeholders every snippet sets: issues then show and search by release and environment.
RELEASE = "my-app@1.0.0"
ENVIRONMENT = "production"


def snippets(dsn: str) -> list[Snippet]:
    r, e = RELEASE, ENVIRONMENT
    python = f'sentry_sdk.init(\n    dsn="{dsn}",\n    release="{r}",\n    environment="{e}",\n)'
    js_init = f'Sentry.init({{\n  dsn: "{dsn}",\n  release: "{r}",\n  environment: "{e}",\n}});'
    return [
        Snippet("python", "Python", "pip install sentry-sdk", f"import sentry_sdk\n\n{python}"),
        Snippet(
            "django",
            "Django",
            "pip install sentry-sdk",
            "# settings.py (the Django integration turns itself on)\n"
            f"import sentry_sdk\n\n{python}",
        ),
        Snippet(
            "node",
            "Node.js",
            "npm install @sentry/node",
            "// instrument.js, required before anything else\n"
            f'const Sentry = require("@sentry/node");\n\n{js_init}',
        ),
        Snippet(
            "browser",
            "Browser JavaScript",
            "npm install @sentry/browser",
            f'import * as Sentry from "@sentry/browser";\n\n{js_init}',
        ),
        Snippet(
            "go",
            "Go",
            "go get github.com/getsentry/sentry-go",
            "err := sentry.Init(sentry.ClientOptions{\n"
            f'\tDsn:         "{dsn}",\n'
            f'\tRelease:     "{r}",\n'
            f'\tEnvironment: "{e}",\n'
            "})\n"
            'if err != nil {\n\tlog.Fatalf("sentry.Init: %s", err)\n}\n'
            "defer sentry.Flush(2 * time.Second)",
        ),
        Snippet(
            "php",
            "PHP",
            "composer require sentry/sentry",
            f"\\Sentry\\init([\n    'dsn' => '{dsn}',\n    'release' => '{r}',\n"
            f"    'environment' => '{e}',\n]);",
        ),
        Snippet(
            "ruby",
            "Ruby",
            "bundle add sentry-ruby",
            f"Sentry.init do |config|\n  config.dsn = '{dsn}'\n  config.release = '{r}'\n"
            f"  config.environment = '{e}'\nend",
        ),
        Snippet(
            "java",
            "Java",
            "# Maven/Gradle: io.sentry:sentry",
            f'Sentry.init(options -> {{\n    options.setDsn("{dsn}");\n'
            f'    options.setRelease("{r}");\n    options.setEnvironment("{e}");\n}});',
        ),
        Snippet(
            "dotnet",
            ".NET",
            "dotnet add package Sentry",
            f'SentrySdk.Init(options =>\n{{\n    options.Dsn = "{dsn}";\n'
            f'    options.Release = "{r}";\n    options.Environment = "{e}";\n}});',
        ),
        Snippet("curl", "curl (no SDK)", "", _curl(dsn)),
    ]


def sourcemap_commands(base_url: str, org: str, project_slug: str) -> Snippet:
    """sentry-cli commands that upload a JavaScript build's source maps (docs/sourcemaps.md)."""
    code = (
        f"export SENTRY_URL={base_url}\n"
        "export SENTRY_AUTH_TOKEN=...   # project:releases; user menu -> API tokens\n"
        f"export SENTRY_ORG={org} SENTRY_PROJECT={project_slug}\n\n"
        "# after every build (esbuild, webpack, vite, tsc, ... with source maps on):\n"
        "sentry-cli sourcemaps inject ./dist\n"
        "sentry-cli sourcemaps upload ./dist\n\n"
        "# optional: releases and deploys\n"
        'VERSION="$(git rev-parse --short HEAD)"\n'
        'sentry-cli releases new "$VERSION"\n'
        'sentry-cli releases finalize "$VERSION"\n'
        'sentry-cli deploys new -r "$VERSION" -e production'
    )
    return Snippet("sourcemaps", "Source maps for JavaScript (sentry-cli)",
                   "pip install sentry-cli   # or: npm install -D @sentry/cli", code)  # fmt: skip


def sentryclirc(base_url: str, org: str, project_slug: str = "", token: str = "") -> str:
    """A `.sentryclirc` for sentry-cli against this installation (token: create one first)."""
    lines = ["[defaults]", f"url = {base_url.rstrip('/')}/", f"org = {org}"]
    if project_slug:
        lines.append(f"project = {project_slug}")
    lines += ["", "[auth]", f"token = {token or '<your API token>'}"]
    return "\n".join(lines) + "\n"
