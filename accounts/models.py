"""Invitations: an admin invites someone by email; the link lets them choose a login."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

INVITATION_LIFETIME = timedelta(days=7)


def hash_token(token: str) -> str:
    # Only the hash is stored, so a leaked database row cannot be turned into an account.
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Memberships (as plain member) created when the invitation is accepted.
    projects = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation for {self.email}"

    @classmethod
    def issue(cls, email: str, invited_by, lifetime: timedelta = INVITATION_LIFETIME):
        """A new invitation and its raw token (shown once, in the emailed link)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            email=email,
            token_hash=hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + lifetime,
        )
        return invitation, token

    @classmethod
    def find_pending(cls, token: str) -> "Invitation | None":
        return cls.objects.pending().filter(token_hash=hash_token(token)).first()

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class FailureCount(models.Model):
    """Consecutive failures of one key (`signin:user:alice`, `api:ip:10.0.0.1`, ...) and its
    lockout; see accounts/throttle.py."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    rounds = models.PositiveIntegerField(default=0)  # lockouts so far; each lasts longer
    last_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} failures, {self.rounds} lockouts"
