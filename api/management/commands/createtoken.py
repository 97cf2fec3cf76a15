"""Create an API token for a user and print it once (only its hash is stored)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import scopes
from api.models import LABEL_MAX_LENGTH, ApiToken


class Command(BaseCommand):
    help = "Create an API token for USERNAME; the token is printed on the last line, once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default="", help="what the token is for, e.g. 'ci'")
        parser.add_argument(
            "--scopes",
            default=",".join(scopes.ALL),
            help=f"comma-separated, of {', '.join(scopes.ALL)} (default: all of them)",
        )

    def handle(self, *args, username: str, label: str, scopes: str, **options) -> None:
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if len(label) > LABEL_MAX_LENGTH:
            raise CommandError("The label is too long (100 characters at most).")
        names = [name.strip() for name in scopes.split(",") if name.strip()]
        try:
            _, token = ApiToken.issue(user, label=label, scopes=names)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"API token for {username} with scopes {', '.join(names)}; use it as "
            "'Authorization: Bearer <token>'. It is shown only now:"
        )
        self.stdout.write(token)
