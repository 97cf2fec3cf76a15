"""The alert outbox: written in the digest transaction, delivered by the sender loop.

An `Alert` is one reason to tell the team (a new issue, a regression, an issue waking up, a
frequency rule firing, a flood-control summary, a channel test). When the sender admits it,
the project's rules (`AlertRule`) pick its targets and it fans out into one `AlertDelivery`
per recipient address (email) and per `Channel` (webhook, chat, ntfy); each delivery is
claimed, sent and marked on its own, so every target gets exactly one message per alert (a
crash between send and mark may repeat one, never skip one).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from issues.models import Issue
from projects.models import Project


class AlertKind(models.TextChoices):
    NEW_ISSUE = "new", "New issue"
    REGRESSION = "regression", "Regression"
    UNIGNORED = "unignored", "Unignored"
    FREQUENCY = "frequency", "Frequency rule"
    SUMMARY = "summary", "Flood-control summary"
    TEST = "test", "Channel test"


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    HELD = "held", "Held back (flood control)"
    FAILED = "failed", "Failed"


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON, signed)"
    SLACK = "slack", "Slack"
    DISCORD = "discord", "Discord"
    MATTERMOST = "mattermost", "Mattermost"
    TEAMS = "teams", "Microsoft Teams"
    NTFY = "ntfy", "ntfy"


class Channel(models.Model):
    """Somewhere outside Bugtrack that alerts go to by HTTP. Email is built in (rules say
    whether to email), so it has no row. The URL often is the credential (Slack, Discord):
    once saved, pages show `masked_url` and never the secret."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_channels")
    kind = models.CharField(max_length=20, choices=ChannelKind)
    name = models.CharField(max_length=100)
    url = models.TextField()
    # Webhook: the HMAC key of X-Bugtrack-Signature; ntfy: an access token (Bearer).
    secret = models.CharField(max_length=200, blank=True, default="")
    # Off: rules skip it when planning (a channel test still goes out).
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} channel {self.name!r}"

    @property
    def masked_url(self) -> str:
        """Scheme and host only: the path of a chat webhook is its password."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname or '?'}/…"


class Level(models.TextChoices):
    DEBUG = "debug", "debug"
    INFO = "info", "info"
    WARNING = "warning", "warning"
    ERROR = "error", "error"
    FATAL = "fatal", "fatal"


LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values)}


class Frequency(models.TextChoices):
    NONE = "", "No frequency trigger"
    EVENTS = "events", "More than N events in M minutes"
    USERS = "users", "More than N users in M minutes"


class AlertRule(models.Model):
    """Which triggers reach which targets in a project. A rule has lifecycle triggers (new,
    regression, unignored) and/or a frequency trigger, optional filters, and targets (email
    to the members who have alerts on, and channels). Every project starts with one: new,
    regression and unignored to email, which is what Bugtrack did before rules."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    on_new = models.BooleanField("New issue", default=False)
    on_regression = models.BooleanField("Regression", default=False)
    on_unignored = models.BooleanField("Unignored", default=False)
    frequency = models.CharField(
        max_length=10, choices=Frequency, blank=True, default=Frequency.NONE
    )
    threshold = models.PositiveIntegerField("N", default=100)
    window_minutes = models.PositiveIntegerField("M (minutes)", default=60)
    # Filters: empty means any.
    min_level = models.CharField(
        "Level at least", max_length=10, choices=Level, blank=True, default=""
    )
    environment = models.CharField(max_length=250, blank=True, default="")
    tag_key = models.CharField(max_length=200, blank=True, default="")
    tag_value = models.CharField(max_length=250, blank=True, default="")
    email = models.BooleanField("Email the team", default=False)
    channels = models.ManyToManyField(Channel, blank=True, related_name="rules")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"alert rule {self.name!r}"

    def triggers_on(self, kind: str) -> bool:
        triggers: dict[str, bool] = {
            AlertKind.NEW_ISSUE: self.on_new,
            AlertKind.REGRESSION: self.on_regression,
            AlertKind.UNIGNORED: self.on_unignored,
        }
        return triggers.get(kind, False)


DEFAULT_RULE = {
    "name": "Email the team",
    "on_new": True,
    "on_regression": True,
    "on_unignored": True,
    "email": True,
}


class Alert(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alerts")
    # Null only for flood-control summaries, which are about many issues.
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="alerts", null=True, blank=True
    )
    kind = models.CharField(max_length=20, choices=AlertKind)
    event_id = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AlertStatus, default=AlertStatus.PENDING)
    # Not before this time (used for summaries, which wait for the end of their window).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When flood control admitted or held it; admitted ones count against the hourly quota.
    decided_at = models.DateTimeField(null=True, blank=True)
    # Held alerts point at the summary that reports them.
    summary = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="held_alerts"
    )
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # Frequency alerts: the rule that fired (its targets get it; "once per window" is per rule).
    rule = models.ForeignKey(
        AlertRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    # Summaries and tests of one channel (null: of email).
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="alert_due_idx"),
            models.Index(fields=["rule", "issue", "-created_at"], name="alert_rule_window_idx"),
            models.Index(fields=["project", "decided_at"], name="alert_quota_idx"),
            models.Index(fields=["project", "-created_at"], name="alert_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert for issue {self.issue_id} ({self.status})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # The recipient left the project or turned alerts off before it went out.
    SKIPPED = "skipped", "Skipped"
    # Over the channel's hourly cap: reported by the channel's summary instead.
    HELD = "held", "Held back (flood control)"


class AlertDelivery(models.Model):
    """One email to one address, or one request to one channel, for one alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    email = models.EmailField(max_length=254, blank=True, default="")
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # Held channel deliveries point at the channel's summary that reports them.
    summary = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="held_deliveries"
    )
    status = models.CharField(max_length=20, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender owns the row until this time; a crashed sender's rows become claimable again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    # Last answer's HTTP status, for the channel's delivery log.
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "email"],
                condition=Q(channel__isnull=True),
                name="unique_alert_recipient",
            ),
            models.UniqueConstraint(
                fields=["alert", "channel"],
                condition=Q(channel__isnull=False),
                name="unique_alert_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
            models.Index(fields=["channel", "-id"], name="delivery_channel_log_idx"),
        ]

    def __str__(self) -> str:
        target = f"channel {self.channel_id}" if self.channel_id else self.email
        return f"alert {self.alert_id} to {target} ({self.status})"
