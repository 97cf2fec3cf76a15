"""Forms for creating and configuring projects, their keys and their members."""

from django import forms
from django.conf import settings

from projects.models import Project, ProjectKey, Role


class ProjectCreateForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name"]


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "rate_limit_per_minute",
            "retention_max_events",
            "retention_max_days",
            "alert_on_new_issue",
            "alert_on_regression",
            "alert_on_unignore",
        ]
        labels = {
            "rate_limit_per_minute": "Rate limit (events per minute)",
            "retention_max_events": "Keep at most this many events",
            "retention_max_days": "Keep events for this many days",
            "alert_on_new_issue": "Alert on a new issue",
            "alert_on_regression": "Alert when a resolved issue comes back",
            "alert_on_unignore": "Alert when an ignored issue wakes up",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        defaults = {
            "rate_limit_per_minute": settings.INGEST_EVENTS_PER_MINUTE,
            "retention_max_events": settings.RETENTION_MAX_EVENTS,
            "retention_max_days": settings.RETENTION_MAX_DAYS,
        }
        for name, default in defaults.items():
            field = self.fields[name]
            assert isinstance(field, forms.IntegerField)
            field.min_value = 1
            field.widget.attrs["min"] = 1
            self.fields[name].help_text = f"Empty means the installation default ({default:,})."

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        for name in ("rate_limit_per_minute", "retention_max_events", "retention_max_days"):
            if cleaned.get(name) == 0:
                self.add_error(name, "Must be at least 1, or empty for the default.")
        return cleaned


class KeyForm(forms.ModelForm):
    class Meta:
        model = ProjectKey
        fields = ["label"]
        labels = {"label": "Label for the new key"}
        widgets = {"label": forms.TextInput(attrs={"placeholder": "e.g. Mobile app"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].initial = ""  # not the model's "Default": name each new key


class AddMemberForm(forms.Form):
    """Who to add: an email address, or for staff also a username. No lookups here, so that
    its errors never tell whether someone has an account (accounts/project_invites.py acts)."""

    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, staff: bool, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if staff:  # staff see every account anyway
            self.fields["email"] = forms.CharField(label="Username or email", max_length=254)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
