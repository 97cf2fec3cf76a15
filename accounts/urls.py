"""Account URLs under /accounts/.

Django's auth views keep their own un-namespaced names (`login`, `logout`, `password_reset`, ...)
because Django itself reverses them; our own views live in the `accounts` namespace.
"""

from django.contrib.auth import views as auth
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from accounts import signin, sso_views, views

auth_patterns = [
    path(
        "login/",
        login_not_required(signin.SignInView.as_view()),
        name="login",
    ),
    path("logout/", login_not_required(auth.LogoutView.as_view()), name="logout"),
    path("password_change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password_change/done/",
        auth.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password_reset/",
        login_not_required(signin.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password_reset/done/",
        login_not_required(auth.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        login_not_required(auth.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        login_not_required(auth.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

account_patterns = [
    # SSO (OpenID Connect): off to the provider, and back.
    path("sso/start/", login_not_required(sso_views.StartView.as_view()), name="sso_start"),
    path(
        "sso/callback/", login_not_required(sso_views.CallbackView.as_view()), name="sso_callback"
    ),
    path("settings/", views.user_settings, name="settings"),
    path("invite/", views.invite_user, name="invite"),
    path("invite/<str:token>/", views.accept_invitation, name="invite_accept"),
    path(
        "invitations/<int:invitation_id>/revoke/", views.revoke_invitation, name="revoke_invitation"
    ),
    # Posted from a project's members page; here because an unknown address gets an invitation.
    path("projects/<slug:slug>/members/add/", views.add_member, name="add_member"),
]

urlpatterns = [
    path("accounts/", include(auth_patterns)),
    path("accounts/", include((account_patterns, "accounts"))),
]
