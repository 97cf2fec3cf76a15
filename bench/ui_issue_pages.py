"""Seed PostgreSQL with 10,000 issues / 1,000,000 events (plain SQL) and time the issue pages.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/ui_issue_pages.py
The bench helper's demo-data command builds realistic data; this one is quick and only
measures how the issue list and issue page scale (server time via the Django test client).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from events.payload import encode  # noqa: E402
from issues.models import Issue  # noqa: E402
from projects.models import Project  # noqa: E402
from projects.services import create_project  # noqa: E402
from tests.test_ui_issues import PAYLOAD  # noqa: E402

ISSUES, EVENTS = 10_000, 1_000_000

SEED = """
INSERT INTO issues_issue (project_id, short_id, grouping_hash, grouping_version,
    grouping_components, title, culprit, message, level, platform, status,
    resolved_in_release, first_seen, last_seen, event_count, first_release, last_release,
    environments)
SELECT %(p)s, n, md5(n::text), 'bench', '[]',
    'Error' || (n %% 97) || ': something failed in handler ' || n, 'app.module' || (n %% 50),
    'message ' || n, (ARRAY['error','warning','fatal','info'])[1 + n %% 4], 'python',
    (ARRAY['unresolved','unresolved','unresolved','resolved','ignored'])[1 + n %% 5], '',
    now() - make_interval(days => 30 + n %% 60), now() - make_interval(mins => n * 3),
    %(per)s, '1.0.' || (n %% 7), '1.1.' || (n %% 7), '["production"]'
FROM generate_series(1, %(issues)s) n;
INSERT INTO issues_event (project_id, issue_id, event_id, timestamp, received_at, level,
    release, environment, platform, user_ident, transaction, tags, payload, processing_error)
SELECT %(p)s, i.id, md5(i.id::text || '-' || g), now() - make_interval(mins => g * 7),
    now() - make_interval(mins => g * 7), 'error', '1.1.0', 'production', 'python', '', '',
    '{}', %(blob)s, ''
FROM issues_issue i CROSS JOIN generate_series(1, %(per)s) g WHERE i.project_id = %(p)s;
INSERT INTO issues_issuebucket (issue_id, hour, count)
SELECT i.id, date_trunc('hour', now()) - make_interval(hours => h), 1 + (i.id + h) %% 9
FROM issues_issue i CROSS JOIN generate_series(0, 47, 3) h WHERE i.project_id = %(p)s;
INSERT INTO issues_issuetagvalue (issue_id, key, value, count, first_seen, last_seen)
SELECT i.id, k, k || '-' || ((i.id + v) %% 13), 10 + v, now(), now()
FROM issues_issue i, unnest(ARRAY['browser','os','server','environment','release']) k,
    generate_series(1, 4) v WHERE i.project_id = %(p)s;
INSERT INTO issues_issuehistory (issue_id, kind, created_at, actor, event_id, data)
SELECT i.id, 'first_seen', i.first_seen, 'digest', '', '{}' FROM issues_issue i
WHERE i.project_id = %(p)s;
ANALYZE;
"""


def seed() -> Project:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench")
    project = Project.objects.filter(slug="bench").first()
    if project and Issue.objects.filter(project=project).count() >= ISSUES:
        return project
    project = project or create_project("Bench", admins=[user])
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute(
            SEED,
            {"p": project.pk, "issues": ISSUES, "per": EVENTS // ISSUES, "blob": encode(PAYLOAD)},
        )
    print(f"seeded in {time.monotonic() - started:.0f}s")
    return project


def timed(client: Client, url: str, runs: int = 15) -> str:
    """Wall time, this process's CPU time, and SQL time (the machine may be shared)."""
    client.get(url)
    wall, cpu, sql = [], [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        sql.append(sum(float(q["time"]) for q in queries) * 1000)
        assert response.status_code == 200, response.status_code
    med = statistics.median
    return (
        f"wall {med(wall):6.1f} ms  cpu {med(cpu):6.1f} ms  sql {med(sql):5.1f} ms  "
        f"{len(queries)} queries  {url}"
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    project = seed()
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    issue = Issue.objects.filter(project=project).order_by("-last_seen").first()
    base = reverse("issues:list", args=[project.slug])
    print(f"load average {os.getloadavg()[0]:.1f}")
    for url in [
        base,
        base + "?sort=events",
        base + "?sort=first_seen",
        base + "?tab=all&page=150",
        base + "?query=handler+level:error",
        base + "?query=browser:browser-3",
        reverse("issues:all"),
        reverse("issues:detail", args=[project.slug, issue.pk]),
    ]:
        print(timed(client, url))


if __name__ == "__main__":
    main()
