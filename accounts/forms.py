"""Forms for the account pages: reset links, profile and alert preferences, invitations."""

from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    UserCreationForm,
    UsernameField,
)
from django.db.models import QuerySet

from accounts import throttle
from core.emails import base_url_context
from core.http import client_address
from projects.models import Membership, Project, UserSettings


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refused while the username or the client address is locked."""

    lock: throttle.Lock | None = None  # set when this attempt was refused unchecked

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request is not None else ""
        keys = throttle.signin_keys(username, address)
        self.lock = throttle.locked(keys)
        if self.lock is not None:
            raise forms.ValidationError(self.lock.message(), code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                throttle.failed(keys)
            raise
        throttle.succeeded(keys)
        return cleaned

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # PASSWORD_LOGIN off: everyone signs in through SSO, staff keep a way in if it breaks.
        if not settings.PASSWORD_LOGIN and not (user.is_staff or user.is_superuser):
            raise forms.ValidationError(
                "Sign in with your company account (SSO).", code="password_login_off"
            )


class BaseUrlPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the emailed link always points at BASE_URL.

    Every request counts against the address and the email (accounts/throttle.py): a locked
    one is refused, so the form cannot be used to flood an inbox or probe many addresses.
    """

    lock: throttle.Lock | None = None

    def check_throttle(self, address: str) -> bool:
        """Count this request; False (and `lock` set) if the address or email is locked."""
        keys = throttle.reset_keys(self.cleaned_data["email"], address)
        self.lock = throttle.locked(keys)
        if self.lock is not None:
            self.add_error(None, "Too many password-reset requests. Try again later.")
            return False
        throttle.failed(keys)
        return True

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
    """Name and email; a new email needs the current password (resets go to the email)."""

    password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed only to change your email address.",
    )

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def __init__(self, *args, address: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Alerts and password resets go here, so it cannot be left empty.
        self.fields["email"].required = True
        self.old_email: str = self.instance.email
        self.address = address  # the password check counts against sign-in throttling

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError("Another account already uses this email address.")
        return email

    @property
    def email_changed(self) -> bool:
        return self.cleaned_data.get("email", "").lower() != self.old_email.lower()

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if "email" in cleaned and self.email_changed:
            self._check_password(cleaned.get("password") or "")
        return cleaned

    def _check_password(self, password: str) -> None:
        # A stolen session must not become a way to guess the password without limit.
        keys = throttle.signin_keys(self.instance.get_username(), self.address)
        lock = throttle.locked(keys)
        if lock is not None:
            self.add_error("password", lock.message())
        elif not self.instance.check_password(password):
            throttle.failed(keys)
            self.add_error("password", "Enter your current password to change your email.")


class AlertDefaultsForm(forms.ModelForm):
    class Meta:
        model = UserSettings
        fields = ["alerts_for_new_projects", "email_when_assigned", "email_on_comments"]
        labels = {
            "alerts_for_new_projects": "Email me alerts for projects I join from now on",
            "email_when_assigned": "Email me when someone assigns an issue to me",
            "email_on_comments": "Email me new comments on issues I am assigned to or commented on",
        }


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
