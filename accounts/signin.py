"""The sign-in and password-reset pages: Django's views, throttled (accounts/throttle.py)."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpResponse

from accounts import oidc
from accounts.forms import BaseUrlPasswordResetForm, ThrottledAuthenticationForm
from core.emails import template_names
from core.http import client_address

# /accounts/login/?password shows the password form when PASSWORD_LOGIN is off (staff only).
BREAK_GLASS = "password"

TOO_MANY_REQUESTS = 429


class SignInView(auth.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_label"] = settings.OIDC_BUTTON_LABEL if oidc.enabled() else ""
        context["password_form"] = (
            settings.PASSWORD_LOGIN
            or BREAK_GLASS in self.request.GET
            or self.request.method == "POST"
        )
        return context

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        lock = getattr(form, "lock", None)  # set by ThrottledAuthenticationForm
        if lock is not None:
            response.status_code = TOO_MANY_REQUESTS
            response["Retry-After"] = str(lock.retry_after())
        return response


# Django sends the reset email itself; it only needs to be told where our templates are.
RESET_SUBJECT, RESET_TEXT, RESET_HTML = template_names("password_reset")


class PasswordResetView(auth.PasswordResetView):
    form_class = BaseUrlPasswordResetForm
    subject_template_name = RESET_SUBJECT
    email_template_name = RESET_TEXT
    html_email_template_name = RESET_HTML

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        assert isinstance(form, BaseUrlPasswordResetForm)
        if not form.check_throttle(client_address(self.request)):
            response = self.form_invalid(form)
            response.status_code = TOO_MANY_REQUESTS
            if form.lock is not None:
                response["Retry-After"] = str(form.lock.retry_after())
            return response
        return super().form_valid(form)
