"""A user's own marks on an issue: a bookmark (`is:bookmarked`) and muted notifications."""

from django.contrib.auth.models import User

from issues.models import Issue, IssueUserFlags


def set_flag(issue: Issue, user: User, name: str, on: bool) -> None:
    assert name in ("bookmarked", "muted")
    IssueUserFlags.objects.update_or_create(issue=issue, user=user, defaults={name: on})


def flags_of(issue: Issue, user: User) -> IssueUserFlags:
    return IssueUserFlags.objects.filter(issue=issue, user=user).first() or IssueUserFlags(
        issue=issue, user=user
    )
