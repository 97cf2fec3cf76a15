"""Fill a database with realistic demo data (issues, events, tags, buckets, history)."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from bugtrack.corpus import find_corpus
from issues.demodata import DemoData
from projects.models import Project, Role
from projects.services import add_member, create_project

DEFAULT_CORPUS = find_corpus() or Path(settings.BASE_DIR).parent / "shared" / "corpus"


class Command(BaseCommand):
    help = "Fill the database with demo issues and events made from real SDK payloads."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--issues", type=int, default=1000)
        parser.add_argument("--events", type=int, default=20000)
        parser.add_argument("--project", default="Demo", help="project name (created if new)")
        parser.add_argument("--days", type=int, default=30, help="spread events over N days")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
        parser.add_argument(
            "--member", action="append", default=[], metavar="USERNAME",
            help="add this existing user as a member of the project (repeatable)",
        )  # fmt: skip

    def handle(self, *args, issues: int, events: int, project: str, days: int, seed: int,
               corpus: Path, member: list[str], **options) -> None:  # fmt: skip
        if issues < 1 or events < issues or days < 1:
            raise CommandError("need --issues >= 1, --events >= --issues and --days >= 1")
        if not corpus.is_dir():
            raise CommandError(f"corpus directory {corpus} does not exist (use --corpus)")
        target = Project.objects.filter(name=project).first() or create_project(project)
        User = get_user_model()
        for username in member:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named {username!r}")
            add_member(target, user, Role.MEMBER)
        counts = DemoData(target, issues, events, days, seed, corpus, log=self.stdout.write).run()
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(f"Project {target.name} ({target.slug}): {summary}")
