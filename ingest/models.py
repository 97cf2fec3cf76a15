"""The intake queue: raw accepted events waiting for the digest worker."""

from django.db import models

from ingest.intake_payload import unpack


class IntakeEvent(models.Model):
    """One accepted event, committed before the SDK gets its 200.

    No foreign key constraint to Project: ingest must cost one insert, and the digest
    drops rows whose project has gone.
    """

    id = models.BigAutoField(primary_key=True)
    project_id = models.BigIntegerField()
    event_id = models.CharField(max_length=32)  # 32 lowercase hex chars, no dashes
    received_at = models.DateTimeField()
    # The event item's JSON as sent (or as repaired), zstd-compressed: ingest/intake_payload.py.
    payload = models.BinaryField()
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["received_at"], name="intake_received_idx")]
        # A re-sent event id while the first copy is still queued is dropped at insert time.
        constraints = [
            models.UniqueConstraint(fields=["project_id", "event_id"], name="unique_intake_event")
        ]

    def __str__(self) -> str:
        return f"intake {self.event_id} for project {self.project_id}"

    def event_json(self) -> bytes:
        return unpack(self.payload)


class ClientReport(models.Model):
    """What SDKs told us they discarded (client_report items), summed per day and reason."""

    project_id = models.BigIntegerField()
    day = models.DateField()
    reason = models.CharField(max_length=64)
    category = models.CharField(max_length=64)
    quantity = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "day", "reason", "category"], name="unique_client_report"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.category} dropped ({self.reason})"


class RateCounter(models.Model):
    """Events accepted per project per minute, shared by all web processes.

    Bumped in the same transaction that queues the event; old minutes are deleted as we go.
    """

    project_id = models.BigIntegerField()
    minute = models.BigIntegerField()  # epoch seconds // 60
    events = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project_id", "minute"], name="unique_rate_counter")
        ]

    def __str__(self) -> str:
        return f"{self.events} events for project {self.project_id} in minute {self.minute}"
