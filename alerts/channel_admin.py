"""Creating, editing and testing channels: the one place the forms and `addchannel` go
through, so that all refuse what the sender would refuse (core/outbound.py checks the URL)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alerts.models import (
    DEFAULT_RULE,
    Alert,
    AlertDelivery,
    AlertKind,
    AlertRule,
    AlertStatus,
    Channel,
    ChannelKind,
)
from core import outbound
from projects.models import Project


def check_url(url: str, resolver: outbound.Resolver = outbound.system_resolver) -> str:
    """The URL as it will be stored, or a ValidationError saying why it is refused."""
    url = url.strip()
    try:
        outbound.check(url, resolver)
    except outbound.OutboundError as exc:
        raise ValidationError(str(exc)) from None
    return url


def default_rule(project: Project) -> AlertRule:
    """The project's rule for new, regression and unignored (made again if it was deleted)."""
    rule = (
        AlertRule.objects.filter(
            project=project, on_new=True, on_regression=True, on_unignored=True
        )
        .order_by("id")
        .first()
    )
    return rule or AlertRule.objects.create(project=project, **{**DEFAULT_RULE, "email": False})


@transaction.atomic
def create_channel(
    project: Project,
    kind: str,
    url: str,
    name: str = "",
    secret: str = "",
    add_to_default_rule: bool = True,
    resolver: outbound.Resolver = outbound.system_resolver,
) -> Channel:
    if kind not in ChannelKind.values:
        raise ValidationError(f"Unknown channel kind {kind!r}; one of {', '.join(ChannelKind)}.")
    channel = Channel.objects.create(
        project=project,
        kind=kind,
        url=check_url(url, resolver),
        name=(name.strip() or ChannelKind(kind).label)[:100],
        secret=secret.strip(),
    )
    if add_to_default_rule:
        default_rule(project).channels.add(channel)
    return channel


def edited_url(channel: Channel, url: str, resolver: outbound.Resolver) -> str:
    """The edit form shows the masked URL: sent back unchanged, it keeps the saved one."""
    if url.strip() == channel.masked_url:
        return channel.url
    return check_url(url, resolver)


def update_channel(
    channel: Channel,
    name: str,
    url: str,
    secret: str = "",
    resolver: outbound.Resolver = outbound.system_resolver,
) -> Channel:
    """A blank secret keeps the saved one (the form never shows it)."""
    channel.url = edited_url(channel, url, resolver)
    channel.name = (name.strip() or ChannelKind(channel.kind).label)[:100]
    if secret.strip():
        channel.secret = secret.strip()
    channel.save(update_fields=["name", "url", "secret"])
    return channel


def set_enabled(channel: Channel, enabled: bool) -> None:
    channel.enabled = enabled
    channel.save(update_fields=["enabled"])


@transaction.atomic
def queue_test(channel: Channel) -> Alert:
    """A test message through the outbox, like any alert: it shows in the delivery log."""
    now = timezone.now()
    alert = Alert.objects.create(
        project_id=channel.project_id,
        kind=AlertKind.TEST,
        channel=channel,
        created_at=now,
        decided_at=now,
        status=AlertStatus.SENDING,
    )
    AlertDelivery.objects.create(alert=alert, channel=channel, next_attempt_at=now)
    return alert
