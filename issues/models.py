"""Issues (groups of events) and what is aggregated per issue; the events are `events.Event`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from projects.models import Project


class IssueStatus(models.TextChoices):
    UNRESOLVED = "unresolved", "Unresolved"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_NEXT_RELEASE = "resolved_next_release", "Resolved in next release"
    IGNORED = "ignored", "Ignored"


class VisibleIssues(models.Manager["Issue"]):
    """Issues being deleted in the background (`deleting`) are gone for every page and the API."""

    def get_queryset(self) -> models.QuerySet["Issue"]:
        return super().get_queryset().filter(deleting=False)


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

    status = models.CharField(max_length=32, choices=IssueStatus, default=IssueStatus.UNRESOLVED)
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

    # Workflow state: who works on it, and whether the worker is deleting it.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleting = models.BooleanField(default=False)

    objects = VisibleIssues()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
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
        # `tag:value` searches on the issue list go from the tag to its issues; the user
        # counts of a list (issues/users.py) read the second, a tenth of the rows' size.
        indexes = [
            models.Index(fields=["key", "value", "issue"], name="issue_tag_lookup_idx"),
            models.Index(fields=["issue"], condition=Q(key="user"), name="issue_tag_users_idx"),
        ]

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


class IssueMinute(models.Model):
    """Events per issue per minute (by event timestamp), for frequency alert rules. The digest
    upserts it with the hourly buckets; rows older than a day are pruned (the longest window)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "minute"], name="unique_issue_minute")
        ]
        indexes = [models.Index(fields=["minute"], name="issue_minute_prune_idx")]

    def __str__(self) -> str:
        return f"{self.count} events of issue {self.issue_id} at {self.minute}"


class GroupingHash(models.Model):
    """Which issue a grouping hash belongs to: the digest's one lookup per batch. An issue has
    its own hash (`Issue.grouping_hash`, always one of its rows here) plus those merged in."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    hash = models.CharField(max_length=64)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="hashes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "hash"], name="unique_grouping_hash")
        ]

    def __str__(self) -> str:
        return self.hash


class IssueRedirect(models.Model):
    """A merged-away issue's id, so its old URLs lead to the issue it was merged into."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    old_id = models.BigIntegerField(unique=True)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.old_id} -> {self.issue_id}"


class Comment(models.Model):
    """A note on an issue: plain text, shown escaped with its links made clickable."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["issue", "created_at"], name="comment_issue_idx")]

    def __str__(self) -> str:
        return self.text[:50]


class IssueUserFlags(models.Model):
    """One user's own marks on an issue: a bookmark, and muted notifications."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="user_flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    bookmarked = models.BooleanField(default=False)
    muted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="unique_issue_user_flags")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.issue_id}"

    @classmethod
    def on_issue_merge(cls, parent: Issue, child_ids: list[int]) -> None:
        """A user's marks on any of the merged issues carry over to the parent."""
        for flags in cls.objects.filter(issue_id__in=child_ids):
            mine, _ = cls.objects.get_or_create(issue=parent, user_id=flags.user_id)
            mine.bookmarked |= flags.bookmarked
            mine.muted |= flags.muted
            mine.save(update_fields=["bookmarked", "muted"])
        cls.objects.filter(issue_id__in=child_ids).delete()


class HistoryKind(models.TextChoices):
    FIRST_SEEN = "first_seen", "First seen"
    REGRESSED = "regressed", "Regressed"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_NEXT_RELEASE = "resolved_next_release", "Resolved in next release"
    UNRESOLVED = "unresolved", "Unresolved"
    IGNORED = "ignored", "Ignored"
    UNIGNORED = "unignored", "Ignore ran out"
    ASSIGNED = "assigned", "Assigned"
    UNASSIGNED = "unassigned", "Unassigned"
    MERGED = "merged", "Merged"
    UNMERGED = "unmerged", "Unmerged"


class IssueHistory(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(max_length=32, choices=HistoryKind)
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
    """A project's release: what "newer release" means, and what sentry-cli manages.

    Created by the digest when an event names it, or by the API (`sentry-cli releases new`);
    Sentry's organization-wide release is one row per project here. `first_seen` is when the
    project first knew it (created or first event), the order used when versions don't parse.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="releases")
    version = models.CharField(max_length=250)
    first_seen = models.DateTimeField()
    # db_default: the digest inserts releases with raw SQL naming only the columns above.
    created_at = models.DateTimeField(db_default=Now())
    date_released = models.DateTimeField(null=True, blank=True)  # set by `releases finalize`
    ref = models.CharField(max_length=250, blank=True, db_default="")
    url = models.CharField(max_length=1000, blank=True, db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="unique_release")
        ]

    def __str__(self) -> str:
        return self.version


class ReleaseCommit(models.Model):
    """A commit or ref that `sentry-cli releases set-commits` reported for a release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="commits")
    repository = models.CharField(max_length=250, blank=True, default="")
    commit = models.CharField(max_length=64)
    previous_commit = models.CharField(max_length=64, blank=True, default="")
    message = models.TextField(blank=True, default="")
    author_name = models.CharField(max_length=250, blank=True, default="")
    author_email = models.CharField(max_length=250, blank=True, default="")
    timestamp = models.DateTimeField(null=True, blank=True)
    is_ref = models.BooleanField(default=False)  # a `refs` head rather than a listed commit

    def __str__(self) -> str:
        return self.commit


class Deploy(models.Model):
    """`sentry-cli deploys new`: a release went out to an environment."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deploys")
    environment = models.CharField(max_length=64)
    name = models.CharField(max_length=250, blank=True, default="")
    url = models.CharField(max_length=1000, blank=True, default="")
    date_started = models.DateTimeField(null=True, blank=True)
    date_finished = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["release", "date_finished"], name="deploy_release")]

    def __str__(self) -> str:
        return f"{self.release_id}:{self.environment}"
