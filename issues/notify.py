"""Workflow emails (assigned to you, a new comment): sent after the change commits, to members
who did not opt out (`UserSettings`) and did not mute the issue; never to whoever acted."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from core import emails
from issues.models import Issue, IssueUserFlags
from projects.models import Membership, UserSettings

logger = logging.getLogger(__name__)

SETTINGS = "accounts:settings"  # the page with the opt-outs
# Which UserSettings switch each email obeys.
OPT_OUT = {"assigned": "email_when_assigned", "comment": "email_on_comments"}


def recipients(issue: Issue, users: Iterable[User], actor: User | None, name: str) -> list[User]:
    """Of `users`: current members of the issue's project with an email address that have not
    opted out of `name` emails nor muted the issue; not `actor`."""
    ids = {u.pk for u in users if u is not None} - ({actor.pk} if actor else set())
    if not ids:
        return []
    ids &= set(
        Membership.objects.filter(project_id=issue.project_id, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    ids -= set(
        UserSettings.objects.filter(user_id__in=ids, **{OPT_OUT[name]: False}).values_list(
            "user_id", flat=True
        )
    )
    ids -= set(
        IssueUserFlags.objects.filter(issue=issue, user_id__in=ids, muted=True).values_list(
            "user_id", flat=True
        )
    )
    return [u for u in User.objects.filter(pk__in=ids).exclude(email="").order_by("pk")]


def send_later(name: str, issue: Issue, to: list[User], context: dict[str, Any]) -> None:
    """Send after commit; a failing mail server is logged, it does not undo the change."""
    if not to:
        return
    base = settings.BASE_URL.rstrip("/")
    links = {"link": base + issue.get_absolute_url(), "settings_link": base + reverse(SETTINGS)}
    email = emails.render(name, {"issue": issue, **links, **context}, emails.AUTOMATED)

    def send() -> None:
        for user in to:
            try:
                email.message(user.email).send()
            except Exception:
                logger.exception("could not send the %s email for issue %s", name, issue.pk)

    transaction.on_commit(send)
