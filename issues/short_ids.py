"""Issues by their short id (`SHOP-2`), as Sentry links them: the project's prefix and number."""

from issues.models import Issue
from issues.search import SHORT_ID
from projects.models import Project


def find(project: Project, short_code: str) -> Issue | None:
    """The project's issue called `short_code` (any case), or None: another project's prefix
    finds nothing, so a short id never reaches across projects."""
    match = SHORT_ID.fullmatch(short_code)
    if match is None or match["slug"].upper() != project.short_prefix:
        return None
    issue = Issue.objects.filter(project=project, short_id=int(match["number"])).first()
    if issue is not None:
        issue.project = project
    return issue
