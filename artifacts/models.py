"""Uploaded artifacts: sentry-cli's chunks, and the bundles assembled from them.

Everything belongs to one project and is looked up only within it (docs/sourcemaps.md).
Files are stored in the database (zstd), so web and worker processes on any number of
machines see the same artifacts with no shared directory.
"""

from django.db import models
from django.utils import timezone

from projects.models import Project


class UploadChunk(models.Model):
    """A piece of an upload, named by its SHA-1; assembled into a bundle, then deleted."""

    checksum = models.CharField(max_length=40, primary_key=True)
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.checksum


class ArtifactBundle(models.Model):
    """One `sentry-cli sourcemaps upload` for one project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="artifact_bundles")
    checksum = models.CharField(max_length=40)  # SHA-1 of the uploaded archive
    bundle_id = models.CharField(max_length=64, blank=True, default="")
    release = models.CharField(max_length=250, blank=True, default="")
    dist = models.CharField(max_length=64, blank=True, default="")
    file_count = models.PositiveIntegerField(default=0)
    size = models.BigIntegerField(default=0)  # stored (compressed) bytes, for the quota
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "checksum"], name="unique_bundle_checksum")
        ]
        indexes = [models.Index(fields=["project", "created_at"], name="bundle_age")]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.checksum}"


class FileKind(models.TextChoices):
    SOURCE_MAP = "source_map"
    MINIFIED_SOURCE = "minified_source"
    SOURCE = "source"


class ArtifactFile(models.Model):
    """A file of a bundle: a source map or the minified file it belongs to."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    bundle = models.ForeignKey(ArtifactBundle, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=FileKind)
    url = models.CharField(max_length=1000)  # `~/static/app.min.js` or a full URL
    debug_id = models.CharField(max_length=36, blank=True, default="")  # lowercase UUID
    sourcemap = models.CharField(max_length=1000, blank=True, default="")  # the map it names
    content = models.BinaryField()  # zstd
    size = models.PositiveIntegerField()  # uncompressed

    class Meta:
        indexes = [
            models.Index(fields=["project", "debug_id", "kind"], name="artifact_debug_id"),
            models.Index(fields=["project", "url"], name="artifact_url"),
        ]

    def __str__(self) -> str:
        return self.url
