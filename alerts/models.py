"""The alert outbox: written in the digest transaction, delivered by the sender loop."""

from django.db import models

from issues.models import Issue
from projects.models import Project


class AlertKind(models.TextChoices):
    NEW_ISSUE = "new", "New issue"
    REGRESSION = "regression", "Regression"
    UNIGNORED = "unignored", "Unignored"


class AlertStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    HELD = "held", "Held back (flood control)"
    FAILED = "failed", "Failed"


class Alert(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alerts")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    event_id = models.CharField(max_length=32, blank=True, default="")
    created_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AlertStatus.choices, default=AlertStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alert_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} alert for issue {self.issue_id} ({self.status})"
