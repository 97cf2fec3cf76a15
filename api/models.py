"""Bearer tokens for the Sentry-style read API."""

import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import models

from api.scopes import ALL, check_names, grants


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LABEL_MAX_LENGTH = 100


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Only the hash is stored; the token itself is shown once, when it is created.
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True, default="")
    # Sentry's scope names (api/scopes.py); tokens made before scopes existed have them all.
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.label or self.pk} of {self.user}"

    @classmethod
    def issue(
        cls, user, label: str = "", scopes: Iterable[str] = tuple(ALL)
    ) -> tuple["ApiToken", str]:
        """A new token and its secret, which only the caller ever sees."""
        token = secrets.token_hex(32)
        stored = cls.objects.create(
            user=user, token_hash=hash_token(token), label=label, scopes=check_names(scopes)
        )
        return stored, token

    def grants(self, scope: str) -> bool:
        return grants(self.scopes, scope)
