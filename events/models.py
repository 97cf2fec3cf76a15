"""Stored events: the normalized payload, compressed, with the columns the UI filters on."""

from django.db import models

from projects.models import Project


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    # No single-column indexes on the foreign keys: the composite indexes below lead with them.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    # By name: issues sits above events in the layer order (docs/architecture.md).
    issue = models.ForeignKey(
        "issues.Issue", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    event_id = models.CharField(max_length=32)
    # The hash it was grouped by: merged issues hold several, and unmerge moves events by it.
    grouping_hash = models.CharField(max_length=64, blank=True, default="")
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField()
    level = models.CharField(max_length=20, default="error")
    release = models.CharField(max_length=250, blank=True, default="")
    environment = models.CharField(max_length=250, blank=True, default="")
    platform = models.CharField(max_length=64, blank=True, default="")
    user_ident = models.CharField(max_length=250, blank=True, default="")
    transaction = models.CharField(max_length=250, blank=True, default="")
    # The tags this event added to its issue's counts (SDK and derived, within the limits in
    # digest/summary.py): what retention subtracts again when it deletes the event.
    tags = models.JSONField(default=dict)
    # Normalized event JSON, zstd-compressed (with the project's dictionary, see events/payload.py).
    payload = models.BinaryField()
    # Set when the event could not be normalized; the raw payload is kept as-is.
    processing_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "issues_event"  # kept from before events had an app of their own
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
    """A zstd dictionary trained on one project's event payloads (events/dictionaries.py).

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

    class Meta:
        db_table = "issues_payloaddictionary"

    def __str__(self) -> str:
        return f"dictionary {self.dict_id} of project {self.project_id}"
