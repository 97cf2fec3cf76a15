"""Fill a database with realistic demo data (issues, events, tags, buckets, history).

Usage: DATABASE_URL=postgres://… .venv/bin/python bench/make_demodata.py --issues 10000
--events 1000000 --project Demo (what `make demodata` runs). Demo data is a benchmark and
demo tool, so it lives here rather than in an app that production installs.
"""

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugtrack.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from bench.corpus import payload_dirs  # noqa: E402
from bench.demodata import DemoData  # noqa: E402
from projects.models import Project, Role  # noqa: E402
from projects.services import add_member, create_project  # noqa: E402


def fill(
    project: str,
    issues: int,
    events: int,
    days: int = 30,
    seed: int = 1,
    corpus: list[Path] | None = None,
    members: tuple[str, ...] = (),
    log: Callable[[str], object] = print,
) -> dict[str, int]:
    """Demo issues and events in `project` (created if new); returns the row counts written.
    Templates come from `corpus` (payload directories), by default the repo's fixtures plus
    the shared corpus when it is there."""
    if issues < 1 or events < issues or days < 1:
        raise SystemExit("need --issues >= 1, --events >= --issues and --days >= 1")
    corpora = corpus or payload_dirs()
    for directory in corpora:
        if not directory.is_dir():
            raise SystemExit(f"payload directory {directory} does not exist (use --corpus)")
    target = Project.objects.filter(name=project).first() or create_project(project)
    User = get_user_model()
    for username in members:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise SystemExit(f"No user named {username!r}")
        add_member(target, user, Role.MEMBER)
    counts = DemoData(target, issues, events, days, seed, corpora, log=log).run()
    log(
        f"Project {target.name} ({target.slug}): "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
    )
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--project", default="Demo", help="project name (created if new)")
    parser.add_argument("--days", type=int, default=30, help="spread events over N days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--corpus", type=Path, action="append", metavar="DIR",
        help="payload directory (<source>/<name>.json, repeatable); default: the repo's "
        "tests/fixtures/events, plus ../shared/corpus when it is there",
    )  # fmt: skip
    parser.add_argument(
        "--member", action="append", default=[], metavar="USERNAME",
        help="add this existing user as a member of the project (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    fill(args.project, args.issues, args.events, args.days, args.seed, args.corpus,
         tuple(args.member))  # fmt: skip


if __name__ == "__main__":
    main()
