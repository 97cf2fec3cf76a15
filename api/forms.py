"""The form that creates an API token on the user's tokens page."""

from django import forms

from api import scopes
from api.models import LABEL_MAX_LENGTH


class TokenForm(forms.Form):
    name = forms.CharField(max_length=LABEL_MAX_LENGTH, help_text="What it is for, e.g. CI.")
    scopes = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {what}") for name, what in scopes.SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=scopes.READ_ONLY,
    )
