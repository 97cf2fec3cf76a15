"""Plain factories for the API tests: bearer tokens. Issues and events: tests.issue_factories."""

from api.models import ApiToken


def token_for(user) -> str:
    return ApiToken.issue(user, label="tests")[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_call(client, user, method: str, url: str, body=None):
    """`method` ("get", "put", ...) on `url` with a JSON body, as `user`'s token."""
    return getattr(client, method)(
        url, body, content_type="application/json", headers=auth(token_for(user))
    )
