"""Per-project caps on stored bundles and debug files: past either cap of a kind, its oldest
rows are deleted."""

from django.conf import settings
from django.db.models import Model

from artifacts.models import ArtifactBundle, DebugFile
from projects.models import Project


def _enforce(model: type[Model], project: Project, max_rows: int, max_bytes: int) -> list[int]:
    rows = list(
        model._default_manager.filter(project=project)
        .order_by("-created_at", "-id")
        .values_list("id", "size")
    )
    kept_bytes = 0
    doomed = []
    for n, (row_id, size) in enumerate(rows):
        kept_bytes += size
        if (n >= max_rows or kept_bytes > max_bytes) and n > 0:
            doomed.append(row_id)  # the newest row always stays (it was checked against the cap)
    if doomed:
        model._default_manager.filter(pk__in=doomed).delete()
    return doomed


def enforce(project: Project) -> list[int]:
    """Delete the project's oldest bundles until both caps hold; returns the deleted ids."""
    return _enforce(
        ArtifactBundle,
        project,
        settings.ARTIFACT_MAX_BUNDLES_PER_PROJECT,
        settings.ARTIFACT_MAX_BYTES_PER_PROJECT,
    )


def enforce_debug_files(project: Project) -> list[int]:
    """The same for debug files, under their own caps."""
    return _enforce(
        DebugFile,
        project,
        settings.ARTIFACT_MAX_DEBUG_FILES_PER_PROJECT,
        settings.ARTIFACT_MAX_DEBUG_BYTES_PER_PROJECT,
    )
