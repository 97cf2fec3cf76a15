"""`addchannel PROJECT KIND URL [--secret S]`: add an alert channel from a script."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from alerts.channel_admin import create_channel
from alerts.models import ChannelKind
from projects.models import Project


class Command(BaseCommand):
    help = (
        "Add an alert channel to a project (and to its default rule: new, regression and "
        "unignored). Prints the channel's id on the last line."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("project", help="the project's name or slug")
        parser.add_argument("kind", choices=ChannelKind.values)
        parser.add_argument("url")
        parser.add_argument("--secret", default="", help="webhook signing key; ntfy token")
        parser.add_argument("--name", default="", help="a label (default: the kind)")
        parser.add_argument(
            "--no-default-rule", action="store_true", help="do not add it to the default rule"
        )

    def handle(self, *args, project: str, kind: str, url: str, **options) -> None:
        found = list(Project.objects.filter(Q(slug=project) | Q(name=project))[:2])
        if not found:
            raise CommandError(f"No project named {project!r}")
        if len(found) > 1:
            raise CommandError(f"More than one project is called {project!r}; use its slug")
        try:
            channel = create_channel(
                found[0],
                kind,
                url,
                name=options["name"],
                secret=options["secret"],
                add_to_default_rule=not options["no_default_rule"],
            )
        except ValidationError as exc:
            raise CommandError(f"Refused: {' '.join(exc.messages)}") from None
        self.stdout.write(
            f"Added {channel.get_kind_display()} channel {channel.name!r} "
            f"({channel.masked_url}) to {found[0].name}"
        )
        self.stdout.write(str(channel.pk))
