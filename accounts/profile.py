"""Changes to a user's own account that someone else should hear about."""

import logging

from django.contrib.auth.models import User

from core import emails

logger = logging.getLogger(__name__)


def tell_old_address(user: User, old_email: str) -> None:
    """Mail the previous address that the account's email changed (a hijack shows up there)."""
    context = {"user": user, "old_email": old_email, "new_email": user.email}
    try:
        emails.send("email_changed", old_email, context)
    except Exception:  # smtplib and socket errors alike; the change itself stands
        logger.exception("Could not tell the old address of user %s of its change", user.pk)
