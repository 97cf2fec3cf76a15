"""The Alerts tab's forms: a channel (URL checked as the sender will check it) and a rule."""

from typing import Any

from django import forms

from alerts.channel_admin import check_url, edited_url
from alerts.frequency import MAX_WINDOW
from alerts.models import AlertRule, Channel, ChannelKind, Frequency
from core import outbound
from projects.models import Project

MAX_WINDOW_MINUTES = int(MAX_WINDOW.total_seconds() // 60)


class ChannelFields(forms.Form):
    """What adding and editing a channel both ask."""

    name = forms.CharField(max_length=100, required=False, help_text="A label; default: the kind.")
    url = forms.CharField(
        label="URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
        help_text="The incoming-webhook URL (ntfy: the topic URL). Shown masked once saved.",
    )
    secret = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Webhook: the key of X-Bugtrack-Signature. ntfy: an access token.",
    )


class ChannelForm(ChannelFields):
    kind = forms.ChoiceField(choices=ChannelKind.choices)
    add_to_default_rule = forms.BooleanField(
        required=False,
        initial=True,
        label="Send new issues, regressions and unignored issues here",
    )
    field_order = ["kind", "name", "url", "secret", "add_to_default_rule"]

    def clean_url(self) -> str:
        return check_url(self.cleaned_data["url"])


class ChannelEditForm(ChannelFields):
    """A saved channel's name, URL and secret. The URL field starts as the masked URL and
    the secret empty, so the page reveals neither; left so, both stay as they are."""

    def __init__(self, *args: Any, channel: Channel, **kwargs: Any) -> None:
        kwargs["initial"] = {"name": channel.name, "url": channel.masked_url}
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.fields["url"].help_text = "Shown masked: leave it to keep the saved URL."
        self.fields["secret"].help_text += " Leave blank to keep the saved one."

    def clean_url(self) -> str:
        return edited_url(self.channel, self.cleaned_data["url"], outbound.system_resolver)


class RuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "name", "enabled", "on_new", "on_regression", "on_unignored", "frequency",
            "threshold", "window_minutes", "min_level", "environment", "tag_key", "tag_value",
            "email", "channels",
        ]  # fmt: skip
        widgets = {"channels": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        channels = self.fields["channels"]
        assert isinstance(channels, forms.ModelMultipleChoiceField)
        channels.queryset = Channel.objects.filter(project=project)
        self.fields["window_minutes"].help_text = f"1 to {MAX_WINDOW_MINUTES}."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        triggers = [data.get(f) for f in ("on_new", "on_regression", "on_unignored")]
        if not any(triggers) and data.get("frequency", Frequency.NONE) == Frequency.NONE:
            raise forms.ValidationError("Choose at least one trigger.")
        window = data.get("window_minutes")
        if window is not None and not 1 <= window <= MAX_WINDOW_MINUTES:
            self.add_error("window_minutes", f"Between 1 and {MAX_WINDOW_MINUTES} minutes.")
        if data.get("tag_value") and not data.get("tag_key"):
            self.add_error("tag_key", "A tag value needs a tag name.")
        return data
