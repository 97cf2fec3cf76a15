"""Adding someone to a project by email: a user who has an account joins and is told; anyone
else is invited. The caller learns nothing about which happened, so the members page cannot
be used to find out who has an account."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.invitations import invite, send_invitation
from core import emails
from projects.models import Membership, Project
from projects.services import add_member

logger = logging.getLogger(__name__)


class UnknownUsername(Exception):
    """Staff named a username that nobody has (staff may know; it is no email to invite)."""


def _existing(identifier: str, by_username: bool) -> User | None:
    active = get_user_model().objects.filter(is_active=True).order_by("pk")
    if by_username and "@" not in identifier:
        user = active.filter(username__iexact=identifier).first()
        if user is None:
            raise UnknownUsername(identifier)
        return user
    matches = list(active.filter(email__iexact=identifier)[:2])
    return matches[0] if len(matches) == 1 else None


def tell_added(project: Project, membership: Membership, added_by: User) -> bool:
    context = {
        "project": project,
        "membership": membership,
        "added_by": added_by,
        "path": reverse("issues:list", args=[project.slug]),
    }
    try:
        emails.send("added_to_project", membership.user.email, context)
    except Exception:  # smtplib and socket errors alike; the membership stands
        logger.exception("Could not tell user %s they were added", membership.user_id)
        return False
    return True


def add_or_invite(
    project: Project, identifier: str, role: str, added_by: User, by_username: bool = False
) -> bool:
    """Add the account with that email (or, if `by_username`, that username) and email them,
    or invite the address to the project. False if the email could not be sent."""
    identifier = identifier.strip()
    user = _existing(identifier, by_username)
    if user is not None:
        if Membership.objects.filter(project=project, user=user).exists():
            return True  # nothing to do, and nothing to tell
        return tell_added(project, add_member(project, user, role), added_by)
    invitation, link = invite(identifier, added_by, [project])
    return send_invitation(invitation, link)
