from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.services import create_project


class Command(BaseCommand):
    help = "Create a project with a DSN key; the DSN is the last line of output."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--member",
            action="append",
            default=[],
            metavar="USERNAME",
            help="add this user as an admin of the project (repeatable)",
        )

    def handle(self, *args, name: str, member: list[str], **options) -> None:
        User = get_user_model()
        users = []
        for username in member:
            try:
                users.append(User.objects.get(username=username))
            except User.DoesNotExist:
                raise CommandError(f"No user named {username!r}") from None
        project = create_project(name, admins=users)
        self.stdout.write(f"Created project {project.name} ({project.slug}), id {project.pk}")
        self.stdout.write(project.keys.get().dsn())
