"""Projects, their DSN keys, and who belongs to them."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Next per-project issue number, for short ids like "BACKEND-12"; bumped by the digest.
    next_short_id = models.PositiveIntegerField(default=1)
    # None means "use the installation default" from settings.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    retention_max_events = models.PositiveIntegerField(null=True, blank=True)
    retention_max_days = models.PositiveIntegerField(null=True, blank=True)
    alert_on_new_issue = models.BooleanField(default=True)
    alert_on_regression = models.BooleanField(default=True)
    alert_on_unignore = models.BooleanField(default=True)
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("issues:list", args=[self.slug])

    @property
    def short_prefix(self) -> str:
        return self.slug.upper()

    def effective_rate_limit(self) -> int:
        return self.rate_limit_per_minute or settings.INGEST_EVENTS_PER_MINUTE

    def effective_retention_events(self) -> int:
        return self.retention_max_events or settings.RETENTION_MAX_EVENTS

    def effective_retention_days(self) -> int:
        return self.retention_max_days or settings.RETENTION_MAX_DAYS

    @classmethod
    def unique_slug(cls, name: str) -> str:
        base = slugify(name)[:180] or "project"
        slug, n = base, 1
        while cls.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


def new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectKey(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    public_key = models.CharField(max_length=32, unique=True, default=new_public_key)
    label = models.CharField(max_length=100, blank=True, default="Default")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.project} key {self.public_key[:8]}"

    def dsn(self) -> str:
        """The DSN as Sentry SDKs expect it: scheme://key@host[/path]/project_id."""
        from urllib.parse import urlsplit

        base = urlsplit(settings.BASE_URL)
        path = base.path.rstrip("/")
        return f"{base.scheme}://{self.public_key}@{base.netloc}{path}/{self.project_id}"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    # Per-project override; initialised from UserSettings.alerts_for_new_projects on join.
    send_alerts = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class UserSettings(models.Model):
    """Per-user preferences that are not per-project."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bugtrack_settings"
    )
    # Whether a membership created for this user starts with alerts on.
    alerts_for_new_projects = models.BooleanField(default=True)
    # Emails about issues this user works on (alerts have their own switch per project).
    email_when_assigned = models.BooleanField(default=True)
    email_on_comments = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"settings of {self.user}"
