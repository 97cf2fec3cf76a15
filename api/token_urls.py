"""The tokens pages (session-authenticated, unlike the rest of api/), under /accounts/."""

from django.urls import path

from api import token_views

app_name = "tokens"
urlpatterns = [
    path("accounts/tokens/", token_views.token_list, name="list"),
    path("accounts/tokens/new/", token_views.create_token, name="create"),
    path("accounts/tokens/<int:token_id>/revoke/", token_views.revoke_token, name="revoke"),
]
