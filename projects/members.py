"""Changing who belongs to a project, so that a project always keeps at least one admin."""

from django.db import transaction

from projects.models import Membership, Role


class LastAdminError(Exception):
    """The change would leave the project without an admin."""


def _ensure_another_admin(membership: Membership) -> None:
    # Lock every admin row (the target's too), so that two admins demoting each other
    # concurrently serialize here and the second one sees the first one's change.
    admins = list(
        Membership.objects.select_for_update()
        .filter(project_id=membership.project_id, role=Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not [pk for pk in admins if pk != membership.pk]:
        raise LastAdminError(f"{membership.project} must keep at least one admin.")


@transaction.atomic
def change_role(membership: Membership, role: str) -> None:
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def remove_member(membership: Membership) -> None:
    if membership.role == Role.ADMIN:
        _ensure_another_admin(membership)
    membership.delete()
