"""The alert outbox: written in the digest transaction, delivered by the sender loop.

An `Alert` is one reason to email the team (a new issue, a regression, an issue waking up, or
a flood-control summary). When the sender admits it, it fans out into one `AlertDelivery` per
recipient address; each delivery is claimed, sent and marked on its own, so every recipient
gets exactly one email per alert (a crash between send and mark may repeat one, never skip one).
"""

from django.conf import settings
from django.db import models

from issues.models import Issue
from projects.models import Project


class AlertKind(models.TextChoices):
    NEW_ISSUE = "new", "New issue"
    REGRESSION = "regression", "Regression"
    UNIGNORED = "unignored", "Unignored"
    SUMMARY = "summary", "Flood-control summary"


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    HELD = "held", "Held back (flood control)"
    FAILED = "failed", "Failed"


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

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="alert_due_idx"),
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


class AlertDelivery(models.Model):
    """One email to one address for one alert."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    email = models.EmailField(max_length=254)
    status = models.CharField(max_length=20, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender owns the row until this time; a crashed sender's rows become claimable again.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "email"], name="unique_alert_recipient")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"alert {self.alert_id} to {self.email} ({self.status})"
