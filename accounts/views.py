"""Account pages: settings, invitations. Sign-in and password views are Django's (see urls)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import (
    AcceptInvitationForm,
    AlertDefaultsForm,
    InviteForm,
    ProfileForm,
    ProjectAlertsForm,
)
from accounts.invitations import accept, invite, send_invitation
from accounts.models import Invitation
from accounts.profile import tell_old_address
from accounts.project_invites import UnknownUsername, add_or_invite
from core.http import AuthenticatedHttpRequest, client_address
from projects.access import is_staff, project_admin, staff_required
from projects.forms import AddMemberForm
from projects.models import Membership, Project, Role, UserSettings


def user_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Saved only when the form is; a GET writes nothing.
    prefs = UserSettings.objects.filter(user=request.user).first() or UserSettings(
        user=request.user
    )
    memberships = Membership.objects.filter(user=request.user).select_related("project")
    memberships = memberships.order_by("project__name")
    data = request.POST if request.method == "POST" else None
    address = client_address(request)
    profile = ProfileForm(data, instance=request.user, prefix="profile", address=address)
    defaults = AlertDefaultsForm(data, instance=prefs, prefix="defaults")
    per_project = ProjectAlertsForm(memberships, data, prefix="alerts")
    if data is not None and profile.is_valid() and defaults.is_valid() and per_project.is_valid():
        with transaction.atomic():
            profile.save()
            defaults.save()
            Membership.objects.bulk_update(per_project.changed_memberships(), ["send_alerts"])
        if profile.email_changed:
            tell_old_address(request.user, profile.old_email)
        messages.success(request, "Your settings were saved.")
        return redirect("accounts:settings")
    context = {"profile": profile, "defaults": defaults, "per_project": per_project}
    return render(request, "accounts/settings.html", context)


@staff_required
def invite_user(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Inviters can put the new user only into projects they administer.
    projects = Project.objects.filter(
        memberships__user=request.user, memberships__role=Role.ADMIN
    ).order_by("name")
    form = InviteForm(projects, request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation, link = invite(
            form.cleaned_data["email"], request.user, form.cleaned_data["projects"]
        )
        if send_invitation(invitation, link):
            messages.success(request, f"Invitation sent to {invitation.email}.")
        else:
            messages.warning(
                request,
                f"The email to {invitation.email} could not be sent. Send them this link "
                f"yourself: {link}",
            )
        return redirect("accounts:invite")
    pending = Invitation.objects.pending().select_related("invited_by")
    return render(request, "accounts/invite.html", {"form": form, "pending": pending})


@require_POST
@staff_required
def revoke_invitation(request: AuthenticatedHttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.pending(), pk=invitation_id)
    invitation.delete()
    messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("accounts:invite")


@login_not_required
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.find_pending(token)
    if invitation is None:
        return render(request, "accounts/invite_invalid.html", status=404)
    User = AcceptInvitationForm.Meta.model
    form = AcceptInvitationForm(request.POST or None, instance=User(email=invitation.email))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
                accept(invitation, user)
        except ValueError:  # accepted by a concurrent request meanwhile
            return render(request, "accounts/invite_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.get_username()}.")
        return redirect("issues:project_list")
    return render(request, "accounts/invite_accept.html", {"form": form, "invitation": invitation})


@require_POST
@project_admin
def add_member(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    """From the project's members page: one answer whether or not the person has an account."""
    project = membership.project
    staff = is_staff(request.user)
    form = AddMemberForm(staff, request.POST)
    if not form.is_valid():
        messages.error(request, "Nobody was added: " + form.errors.as_text())
        return redirect("projects:members", project.slug)
    who = form.cleaned_data["email"]
    try:
        sent = add_or_invite(project, who, form.cleaned_data["role"], request.user, staff)
    except UnknownUsername:
        messages.error(request, f"No user is named {who}; enter an email address to invite them.")
        return redirect("projects:members", project.slug)
    if sent:
        messages.success(request, f"Done: {who} is in {project.name} or invited to join it.")
    else:
        messages.warning(request, f"{who} could not be emailed; the mail server refused.")
    return redirect("projects:members", project.slug)
