"""Project pages: create, settings, keys, members and setup. One view per action.

The project list shows issue counts, so it lives in `issues/project_views.py`."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.http import AuthenticatedHttpRequest
from projects.access import (
    is_staff,
    key_admin,
    membership_admin,
    project_admin,
    project_member,
    staff_required,
)
from projects.forms import AddMemberForm, KeyForm, ProjectCreateForm, ProjectSettingsForm, RoleForm
from projects.members import LastAdminError, change_role, remove_member
from projects.models import Membership, ProjectKey
from projects.services import create_project


@staff_required
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProjectCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = create_project(form.cleaned_data["name"], admins=[request.user])
        messages.success(request, f"Project {project.name} was created. Send it your first event.")
        return redirect("projects:setup", project.slug)
    return render(request, "projects/create.html", {"form": form})


@project_admin
def project_settings(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    form = ProjectSettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Project settings were saved.")
        return redirect("projects:settings", project.slug)
    context = {"project": project, "membership": membership, "form": form}
    return render(request, "projects/settings.html", context)


@project_admin
def project_keys(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    context = {
        "project": project,
        "membership": membership,
        "keys": project.keys.order_by("-is_active", "created_at", "id"),
        "form": KeyForm(),
    }
    return render(request, "projects/keys.html", context)


@require_POST
@project_admin
def add_key(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    form = KeyForm(request.POST)
    if form.is_valid():
        key = form.save(commit=False)
        key.project = membership.project
        key.save()
        messages.success(request, f"Key {key.label or key.public_key[:8]} was added.")
    else:
        messages.error(request, "The key could not be added: " + form.errors.as_text())
    return redirect("projects:keys", membership.project.slug)


@require_POST
@key_admin
def revoke_key(
    request: AuthenticatedHttpRequest, membership: Membership, key: ProjectKey
) -> HttpResponse:
    if key.is_active:
        key.is_active = False
        key.save(update_fields=["is_active"])
        messages.success(request, f"Key {key.public_key[:8]}… was revoked; SDKs using it fail.")
    return redirect("projects:keys", membership.project.slug)


@project_admin
def project_members(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    form = AddMemberForm(is_staff(request.user))  # posts to accounts:add_member
    members = project.memberships.select_related("user").order_by("user__username")
    context = {"project": project, "membership": membership, "members": members, "form": form}
    return render(request, "projects/members.html", context)


@require_POST
@membership_admin
def member_role(
    request: AuthenticatedHttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
    else:
        try:
            change_role(target, form.cleaned_data["role"])
            messages.success(request, f"{target.user.get_username()} is now {target.role}.")
        except LastAdminError as exc:
            messages.error(request, str(exc))
    return redirect("projects:members", membership.project.slug)


@require_POST
@membership_admin
def member_remove(
    request: AuthenticatedHttpRequest, membership: Membership, target: Membership
) -> HttpResponse:
    leaving = target.pk == membership.pk
    try:
        remove_member(target)
    except LastAdminError as exc:
        messages.error(request, str(exc))
        return redirect("projects:members", membership.project.slug)
    messages.success(request, f"{target.user.get_username()} was removed from the project.")
    if leaving:  # removed themselves: the project is gone for them
        return redirect("issues:project_list")
    return redirect("projects:members", membership.project.slug)


@project_member
def project_setup(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    key = project.keys.filter(is_active=True).order_by("created_at", "id").first()
    context = {
        "project": project,
        "membership": membership,
        "dsn": key.dsn() if key else "",
        "waiting": project.next_short_id == 1,  # the digest numbers every issue it creates
    }
    return render(request, "projects/setup.html", context)
