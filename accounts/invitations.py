"""Inviting users: issue the invitation, email its link, and accept it."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from core import emails
from projects.models import Project, Role
from projects.services import add_member

logger = logging.getLogger(__name__)


def invitation_link(token: str) -> str:
    return settings.BASE_URL + reverse("accounts:invite_accept", args=[token])


def invite(
    email: str, invited_by: User, projects: Iterable[Project] = ()
) -> tuple[Invitation, str]:
    """Create an invitation and return it with its one-time link (not yet emailed)."""
    with transaction.atomic():
        invitation, token = Invitation.issue(email, invited_by)
        invitation.projects.set(projects)
    return invitation, invitation_link(token)


def send_invitation(invitation: Invitation, link: str) -> bool:
    """Email the link; False if the mail server refused, so the caller can show the link."""
    try:
        emails.send(
            "invitation",
            invitation.email,
            {"invitation": invitation, "link": link, "invited_by": invitation.invited_by},
        )
    except Exception:  # smtplib and socket errors alike; the invitation stays valid
        logger.exception("Could not send the invitation email for invitation %s", invitation.pk)
        return False
    return True


@transaction.atomic
def accept(invitation: Invitation, user: User) -> None:
    """Mark the invitation used by `user` and add them to its projects."""
    # Re-read under lock so two simultaneous submissions cannot both accept it.
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValueError("invitation already accepted")
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    for project in locked.projects.all():
        add_member(project, user, Role.MEMBER)
