"""Issues (groups of events), the events themselves, and what is aggregated per issue."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from projects.models import Project


class IssueStatus(models.TextChoices):
    UNRESOLVED = "unresolved", "Unresolved"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_NEXT_RELEASE = "resolved_next_release", "Resolved in next release"
    IGNORED = "ignored", "Ignored"


class Issue(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    short_id = models.PositiveIntegerField()  # per project: PROJECT-<short_id>
    grouping_hash = models.CharField(max_length=64)
    grouping_version = models.CharField(max_length=32)
    grouping_components = models.JSONField(
        default=list
    )  # what produced the hash, for "why grouped"

    title = models.CharField(max_length=500)
    culprit = models.CharField(max_length=500, blank=True, default="")
    message = models.TextField(blank=True, default="")  # for free-text search
    level = models.CharField(max_length=20, default="error")
    platform = models.CharField(max_length=64, blank=True, default="")

    status = models.CharField(
        max_length=32, choices=IssueStatus.choices, default=IssueStatus.UNRESOLVED
    )
    # resolved-in-next-release: the newest release known when it was resolved.
    resolved_in_release = models.CharField(max_length=250, blank=True, default="")
    # When it was last resolved: events received before then (a queue backlog) don't regress it.
    resolved_at = models.DateTimeField(null=True, blank=True)
    # ignore conditions: until a time, or until event_count reaches a number.
    ignore_until = models.DateTimeField(null=True, blank=True)
    ignore_until_count = models.BigIntegerField(null=True, blank=True)

    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    event_count = models.BigIntegerField(default=0)
    first_release = models.CharField(max_length=250, blank=True, default="")
    last_release = models.CharField(max_length=250, blank=True, default="")
    environments = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "grouping_hash"], name="unique_issue_hash"),
            models.UniqueConstraint(fields=["project", "short_id"], name="unique_issue_short_id"),
        ]
        indexes = [
            models.Index(fields=["project", "status", "-last_seen"], name="issue_list_idx"),
            models.Index(fields=["project", "-last_seen"], name="issue_last_seen_idx"),
            # the issue list's other two sorts
            models.Index(fields=["project", "status", "-event_count"], name="issue_count_idx"),
            models.Index(fields=["project", "status", "-first_seen"], name="issue_first_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.short_code}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("issues:detail", args=[self.project.slug, self.pk])

    @property
    def short_code(self) -> str:
        return f"{self.project.short_prefix}-{self.short_id}"


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No single-column indexes on the foreign keys: the composite indexes below lead with them.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_id = models.CharField(max_length=32)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    level = models.CharField(max_length=20, default="error")
    release = models.CharField(max_length=250, blank=True, default="")
    environment = models.CharField(max_length=250, blank=True, default="")
    platform = models.CharField(max_length=64, blank=True, default="")
    user_ident = models.CharField(max_length=250, blank=True, default="")
    transaction = models.CharField(max_length=250, blank=True, default="")
    tags = models.JSONField(default=dict)
    # Normalized event JSON, zstd-compressed (with the project's dictionary, see issues/payload.py).
    payload = models.BinaryField()
    # Set when the event could not be normalized; the raw payload is kept as-is.
    processing_error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="unique_event_id"),
        ]
        indexes = [
            # An issue's events by arrival: the issue page, its neighbours, the API's lists.
            models.Index(fields=["issue", "received_at"], name="event_issue_idx"),
            # Retention's count cut and dictionary samples: a project's newest events by id.
            models.Index(fields=["project", "id"], name="event_project_id_idx"),
            # Retention's age cut and the API's project event list: by time.
            models.Index(fields=["project", "received_at"], name="event_project_received_idx"),
        ]

    def __str__(self) -> str:
        return self.event_id


class PayloadDictionary(models.Model):
    """A zstd dictionary trained on one project's event payloads (issues/dictionaries.py).

    Frames compressed with it carry `dict_id` in their header, which is all `payload.decode`
    needs. Immutable once written; a project's newest one is used for new events.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # Written into each frame. Random in zstd's private range (32768 .. 2**31-1), so workers
    # need no coordination to pick one; the unique index refuses the rare clash.
    dict_id = models.PositiveIntegerField(unique=True)
    data = models.BinaryField()
    created_at = models.DateTimeField()
    samples = models.PositiveIntegerField()  # events it was trained on
    # Stored bytes / JSON bytes on held-out events when trained: what "compresses poorly" means.
    ratio = models.FloatField()

    def __str__(self) -> str:
        return f"dictionary {self.dict_id} of project {self.project_id}"


class IssueTagValue(models.Model):
    """Per-issue tag value counts, so an issue page never scans its events."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="tag_values")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=250)
    count = models.BigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "key", "value"], name="unique_issue_tag")
        ]
        # `tag:value` searches on the issue list go from the tag to its issues.
        indexes = [models.Index(fields=["key", "value", "issue"], name="issue_tag_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.count})"


class IssueBucket(models.Model):
    """Events per issue per hour: sparklines and charts without counting events."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="buckets")
    hour = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "hour"], name="unique_issue_bucket")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h: {self.count}"


class HistoryKind(models.TextChoices):
    FIRST_SEEN = "first_seen", "First seen"
    REGRESSED = "regressed", "Regressed"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_NEXT_RELEASE = "resolved_next_release", "Resolved in next release"
    UNRESOLVED = "unresolved", "Unresolved"
    IGNORED = "ignored", "Ignored"
    UNIGNORED = "unignored", "Ignore ran out"


class IssueHistory(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=32, choices=HistoryKind.choices)
    created_at = models.DateTimeField()
    # Who did it: a user, or a system actor such as "digest" / "api".
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor = models.CharField(max_length=100, blank=True, default="")
    event_id = models.CharField(max_length=32, blank=True, default="")
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"


class Release(models.Model):
    """Releases in the order a project first saw them: what "newer release" means."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=250)
    first_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="unique_release")
        ]

    def __str__(self) -> str:
        return self.version
