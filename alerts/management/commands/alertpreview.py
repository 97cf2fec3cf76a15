"""Print a rendered alert email (subject, text and HTML) to check the templates by eye."""

from django.core.management.base import BaseCommand, CommandError

from alerts.emails import render_alert, render_sample
from alerts.models import Alert, AlertKind


class Command(BaseCommand):
    help = "Render a sample alert email, or the email of an existing alert with --alert."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--kind",
            default=AlertKind.NEW_ISSUE,
            choices=[AlertKind.NEW_ISSUE, AlertKind.REGRESSION, AlertKind.UNIGNORED],
        )
        parser.add_argument("--alert", type=int, help="render this Alert row instead")
        parser.add_argument("--html", action="store_true", help="print only the HTML body")

    def handle(self, *args, kind: str, alert: int | None, html: bool, **options) -> None:
        if alert is not None:
            row = Alert.objects.select_related("project", "issue").filter(pk=alert).first()
            if row is None:
                raise CommandError(f"No alert with id {alert}")
            email = render_alert(row)
        else:
            email = render_sample(kind)
        if html:
            self.stdout.write(email.html)
            return
        self.stdout.write(f"Subject: {email.subject}\n\n{email.text}\n--- HTML ---\n{email.html}")
