"""Comments on an issue: plain text by members; authors edit and delete their own."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from issues import notify
from issues.models import Comment, Issue

MAX_TEXT = 10_000


class CommentError(ValueError):
    """Said to the author: empty or too long."""


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise CommentError("A comment needs some text.")
    if len(text) > MAX_TEXT:
        raise CommentError(f"A comment is at most {MAX_TEXT} characters.")
    return text


def subscribers(issue: Issue) -> list[User]:
    """Who hears of new comments: the assignee and everyone who commented."""
    ids = set(
        Comment.objects.filter(issue=issue, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )
    if issue.assigned_to_id:
        ids.add(issue.assigned_to_id)
    return list(User.objects.filter(pk__in=ids))


def add(issue: Issue, author: User, text: str) -> Comment:
    text = _clean(text)
    with transaction.atomic():
        comment = Comment.objects.create(
            issue=issue, author=author, text=text, created_at=timezone.now()
        )
        to = notify.recipients(issue, subscribers(issue), author, "comment")
        notify.send_later("comment", issue, to, {"by": author.get_username(), "comment": comment})
    return comment


def edit(comment: Comment, user: User, text: str) -> None:
    if comment.author_id != user.pk:
        raise PermissionError
    comment.text = _clean(text)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["text", "edited_at"])


def delete(comment: Comment, user: User) -> None:
    if comment.author_id != user.pk:
        raise PermissionError
    comment.delete()
