"""Plain factories for the API tests: bearer tokens. Issues and events: tests.issue_factories."""

from api.models import ApiToken


def token_for(user) -> str:
    return ApiToken.issue(user, label="tests")[1]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
