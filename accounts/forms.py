"""Forms for the account pages: reset links, profile and alert preferences, invitations."""

from collections.abc import Iterable

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm, UsernameField
from django.db.models import QuerySet

from core.emails import base_url_context
from projects.models import Membership, Project, UserSettings


class BaseUrlPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the emailed link always points at BASE_URL."""

    def save(self, *args, **kwargs) -> None:
        kwargs["extra_email_context"] = {**(kwargs.get("extra_email_context") or {})}
        kwargs["extra_email_context"].update(base_url_context())
        super().save(*args, **kwargs)


def email_taken(email: str, exclude_pk: int | None = None) -> bool:
    users = get_user_model().objects.filter(email__iexact=email)
    if exclude_pk is not None:
        users = users.exclude(pk=exclude_pk)
    return users.exists()


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Alerts and password resets go here, so it cannot be left empty.
        self.fields["email"].required = True

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another account already uses this email address.")
        return email


class AlertDefaultsForm(forms.ModelForm):
    class Meta:
        model = UserSettings
        fields = ["alerts_for_new_projects"]
        labels = {"alerts_for_new_projects": "Email me alerts for projects I join from now on"}


class ProjectAlertsForm(forms.Form):
    """One checkbox per membership: whether this user gets alert emails for that project."""

    def __init__(self, memberships: Iterable[Membership], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.memberships = list(memberships)
        for membership in self.memberships:
            self.fields[self.field_name(membership)] = forms.BooleanField(
                required=False,
                initial=membership.send_alerts,
                label=membership.project.name,
            )

    @staticmethod
    def field_name(membership: Membership) -> str:
        return f"project_{membership.project_id}"

    def changed_memberships(self) -> list[Membership]:
        changed = []
        for membership in self.memberships:
            wanted = self.cleaned_data[self.field_name(membership)]
            if membership.send_alerts != wanted:
                membership.send_alerts = wanted
                changed.append(membership)
        return changed


class InviteForm(forms.Form):
    email = forms.EmailField()
    projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The new user joins these projects as a member.",
    )

    def __init__(self, projects: QuerySet[Project], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["projects"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = projects

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email):
            raise forms.ValidationError(
                "A user with this email already exists; add them from a project's members page."
            )
        return email


class AcceptInvitationForm(UserCreationForm):
    """Username and password for the invited person; the email comes from the invitation."""

    class Meta:
        model = get_user_model()
        fields = ("username",)
        field_classes = {"username": UsernameField}
