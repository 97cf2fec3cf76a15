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


class DebugFile(models.Model):
    """One object of a `sentry-cli debug-files upload` (ELF, Mach-O, PE, PDB, Breakpad, ...),
    kept for a future native symbolication step (docs/debug-files.md)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="debug_files")
    checksum = models.CharField(max_length=40)  # SHA-1 of the uploaded file
    debug_id = models.CharField(max_length=64)  # symbolic's form: lowercase UUID[-appendix]
    code_id = models.CharField(max_length=64, blank=True, default="")
    object_name = models.CharField(max_length=250)
    cpu_name = models.CharField(max_length=32)  # symbolic's arch: x86_64, arm64, ...
    file_format = models.CharField(max_length=32)  # elf, macho, pe, pdb, breakpad, ...
    kind = models.CharField(max_length=16)  # lib, exe, dbg, ...
    features = models.JSONField(default=list)  # symtab, debug, unwind, sources
    content = models.BinaryField()  # the whole file, zstd
    file_size = models.BigIntegerField()  # uncompressed
    size = models.BigIntegerField()  # stored (compressed) bytes, for the quota
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "checksum", "debug_id"], name="unique_debug_file"
            )
        ]
        indexes = [
            models.Index(fields=["project", "debug_id"], name="debug_file_id"),
            models.Index(fields=["project", "created_at"], name="debug_file_age"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.debug_id}"
