from django import template
from django.conf import settings

from projects.models import Project
from projects.snippets import Snippet, sentryclirc, snippets, sourcemap_commands

register = template.Library()


@register.simple_tag
def setup_snippets(dsn: str) -> list[Snippet]:
    return snippets(dsn) if dsn else []


@register.simple_tag
def project_dsn(project: Project) -> str:
    """The DSN of the project's oldest active key, for pages that did not pass one."""
    key = project.keys.filter(is_active=True).order_by("created_at", "id").first()
    return key.dsn() if key else ""


@register.simple_tag
def sourcemap_snippet(project: Project) -> Snippet:
    return sourcemap_commands(settings.BASE_URL, settings.ORGANIZATION_SLUG, project.slug)


@register.simple_tag
def organization_slug() -> str:
    return settings.ORGANIZATION_SLUG


@register.simple_tag
def project_sentryclirc(project: Project) -> str:
    return sentryclirc(settings.BASE_URL, settings.ORGANIZATION_SLUG, project.slug)
