"""Assigning an issue to a member of its project (or to nobody), with history and an email."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from issues import notify
from issues.models import HistoryKind, Issue, IssueHistory
from projects.models import Membership


class AssignmentError(ValueError):
    """Said to whoever tried: the name is not a member of the project."""


def find_member(issue: Issue, name: str) -> User | None:
    """The project member whose username or email is `name` ("" is nobody)."""
    name = name.strip()
    if not name:
        return None
    membership = (
        Membership.objects.filter(project_id=issue.project_id)
        .filter(Q(user__username=name) | Q(user__email__iexact=name))
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership is None:
        raise AssignmentError(f"{name} is not a member of this project.")
    return membership.user


def assign(issue: Issue, assignee: User | None, by: User | None, actor: str = "") -> bool:
    """Set the assignee; False if it already was. The new assignee is emailed."""
    if issue.assigned_to_id == (assignee.pk if assignee else None):
        return False
    with transaction.atomic():
        issue.assigned_to = assignee
        issue.save(update_fields=["assigned_to"])
        IssueHistory.objects.create(
            issue=issue,
            kind=HistoryKind.ASSIGNED if assignee else HistoryKind.UNASSIGNED,
            created_at=timezone.now(),
            user=by,
            actor=actor,
            data={"assignee": assignee.get_username()} if assignee else {},
        )
        if assignee is not None:
            to = notify.recipients(issue, [assignee], by, "assigned")
            who = by.get_username() if by else (actor or "Someone")
            notify.send_later("assigned", issue, to, {"by": who})
    return True
