"""Per-project caps on stored bundles: past either cap the oldest bundles are deleted."""

from django.conf import settings

from artifacts.models import ArtifactBundle
from projects.models import Project


def enforce(project: Project) -> list[int]:
    """Delete the project's oldest bundles until both caps hold; returns the deleted ids."""
    rows = list(
        ArtifactBundle.objects.filter(project=project)
        .order_by("-created_at", "-id")
        .values_list("id", "size")
    )
    kept_bytes = 0
    doomed = []
    for n, (bundle_id, size) in enumerate(rows):
        kept_bytes += size
        if (
            n >= settings.ARTIFACT_MAX_BUNDLES_PER_PROJECT
            or kept_bytes > settings.ARTIFACT_MAX_BYTES_PER_PROJECT
        ) and n > 0:  # the newest bundle always stays (it was checked against the cap)
            doomed.append(bundle_id)
    if doomed:
        ArtifactBundle.objects.filter(pk__in=doomed).delete()
    return doomed
