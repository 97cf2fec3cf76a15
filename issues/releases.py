"""Releases as sentry-cli manages them: create, finalize, commits, deploys, and their stats.

A Sentry release is organization-wide with a list of projects; here it is one `Release` row
per project, and a caller's view of "release X" is the rows of X in the projects they may
see. Access checks are the caller's (api.access, issues views); nothing here checks them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from issues.models import Deploy, Issue, IssueTagValue, Release, ReleaseCommit
from projects.models import Project

MAX_VERSION = 250


class ReleaseError(ValueError):
    """A release request that cannot be carried out (400)."""


def check_version(version: object) -> str:
    if not isinstance(version, str) or not version.strip():
        raise ReleaseError("version is required.")
    if len(version) > MAX_VERSION or "\n" in version or version in (".", ".."):
        raise ReleaseError(f"version must be one line of at most {MAX_VERSION} characters.")
    return version


def ensure(
    projects: list[Project],
    version: str,
    url: str = "",
    ref: str = "",
    date_released: datetime | None = None,
) -> list[Release]:
    """The release in each project, created if new (`releases new` is idempotent)."""
    now = timezone.now()
    out = []
    with transaction.atomic():
        for project in projects:
            release, created = Release.objects.get_or_create(
                project=project,
                version=version,
                defaults={"first_seen": now, "created_at": now, "url": url, "ref": ref},
            )
            changed = []
            if date_released and release.date_released is None:
                release.date_released = date_released
                changed.append("date_released")
            if url and not created and release.url != url:
                release.url = url
                changed.append("url")
            if changed:
                release.save(update_fields=changed)
            out.append(release)
    return out


def update(
    releases: list[Release],
    *,
    url: str | None = None,
    ref: str | None = None,
    date_released: datetime | None = None,
) -> None:
    """`releases finalize` sets dateReleased; url and ref may change too."""
    for release in releases:
        fields = []
        if date_released is not None:
            release.date_released = date_released
            fields.append("date_released")
        if url is not None:
            release.url = url[:1000]
            fields.append("url")
        if ref is not None:
            release.ref = ref[:250]
            fields.append("ref")
        if fields:
            release.save(update_fields=fields)


@dataclass
class CommitInput:
    commit: str
    repository: str = ""
    previous_commit: str = ""
    message: str = ""
    author_name: str = ""
    author_email: str = ""
    timestamp: datetime | None = None
    is_ref: bool = False


def set_commits(releases: list[Release], commits: list[CommitInput]) -> None:
    """Replace what a release knows of its commits (set-commits sends the whole list)."""
    with transaction.atomic():
        ReleaseCommit.objects.filter(release__in=releases).delete()
        ReleaseCommit.objects.bulk_create(
            ReleaseCommit(release=r, **vars(c)) for r in releases for c in commits
        )


def add_deploy(
    releases: list[Release],
    environment: str,
    name: str = "",
    url: str = "",
    date_started: datetime | None = None,
    date_finished: datetime | None = None,
) -> list[Deploy]:
    finished = date_finished or timezone.now()
    return Deploy.objects.bulk_create(
        Deploy(
            release=r,
            environment=environment,
            name=name,
            url=url,
            date_started=date_started,
            date_finished=finished,
        )
        for r in releases
    )


@dataclass
class ReleaseStats:
    new_issues: int = 0
    events: int = 0
    last_seen: datetime | None = None


def stats(releases: list[Release]) -> dict[int, ReleaseStats]:
    """New issues (first seen in the release), events and last event per release row, from
    the issues' counters and tag counts: two grouped queries, never a scan of events."""
    if not releases:
        return {}
    out = {r.pk: ReleaseStats() for r in releases}
    key = {(r.project_id, r.version): r.pk for r in releases}
    match = Q()
    for r in releases:
        match |= Q(project_id=r.project_id, first_release=r.version)
    for row in (
        Issue.objects.filter(match)
        .values("project_id", "first_release")
        .annotate(n=Count("id"))
        .order_by()
    ):
        out[key[(row["project_id"], row["first_release"])]].new_issues = row["n"]
    tags = Q()
    for r in releases:
        tags |= Q(issue__project_id=r.project_id, value=r.version)
    for tag in (
        IssueTagValue.objects.filter(tags, key="release")
        .values("issue__project_id", "value")
        .annotate(n=Sum("count"), last=Max("last_seen"))
        .order_by()
    ):
        found = key.get((tag["issue__project_id"], tag["value"]))
        if found is not None:
            out[found].events = tag["n"] or 0
            out[found].last_seen = tag["last"]
    return out


def deploys_by_release(releases: list[Release]) -> dict[int, list[Deploy]]:
    out: dict[int, list[Deploy]] = {r.pk: [] for r in releases}
    for deploy in Deploy.objects.filter(release__in=releases).order_by("-date_finished", "-id"):
        out[deploy.release_id].append(deploy)
    return out
