import pytest
from django.core.management import call_command

from projects.models import Membership, Project, Role
from tests.conftest import make_user


@pytest.mark.django_db
def test_createproject_prints_the_dsn_last_and_adds_members_as_admins(capsys):
    alice = make_user("alice")
    call_command("createproject", "My App", "--member", "alice")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    project = Project.objects.get(name="My App")
    key = project.keys.get()
    assert last_line == f"http://{key.public_key}@127.0.0.1:8000/{project.pk}"
    assert Membership.objects.get(project=project, user=alice).role == Role.ADMIN


@pytest.mark.django_db
def test_createproject_rejects_an_unknown_member():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody"):
        call_command("createproject", "X", "--member", "nobody")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_slugs_are_unique():
    assert Project.unique_slug("Web") == "web"
    Project.objects.create(name="Web", slug="web")
    assert Project.unique_slug("Web") == "web-2"
