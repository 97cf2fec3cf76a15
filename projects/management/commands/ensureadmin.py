import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the first admin if no superuser exists. Uses BUGTRACK_ADMIN_USERNAME, "
        "BUGTRACK_ADMIN_EMAIL and BUGTRACK_ADMIN_PASSWORD, or prints a generated password once."
    )

    def handle(self, *args, **options) -> None:
        import os

        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        username = os.environ.get("BUGTRACK_ADMIN_USERNAME", "admin")
        email = os.environ.get("BUGTRACK_ADMIN_EMAIL", "admin@localhost")
        password = os.environ.get("BUGTRACK_ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(f"Created admin user {username!r}.")
        if generated:
            self.stdout.write(f"  password: {password}  (shown once; change it after signing in)")
