"""User settings -> Tokens: list, create (the secret is shown once) and revoke API tokens."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import ApiToken
from core.http import AuthenticatedHttpRequest
from projects.snippets import sentryclirc


def _page(
    request: AuthenticatedHttpRequest, form: TokenForm, secret: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id"),
        "secret": secret,
        "org_slug": settings.ORGANIZATION_SLUG,
        "sentryclirc": sentryclirc(settings.BASE_URL, settings.ORGANIZATION_SLUG, token=secret),
    }
    response = render(request, "api/tokens.html", context, status=status)
    if secret:
        response["Cache-Control"] = "no-store"  # the one page that ever shows the secret
    return response


def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _page(request, TokenForm())


@require_POST
def create_token(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    _, secret = ApiToken.issue(
        request.user, label=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
    )
    return _page(request, TokenForm(), secret=secret)


@require_POST
def revoke_token(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)  # others': 404
    token.delete()
    messages.success(request, f"The token {token.label or token_id} was revoked.")
    return redirect("tokens:list")
