"""One module per channel kind, each with `build(notice, secret, delivery_id) -> Request`."""

from collections.abc import Callable

from alerts.channels import discord, mattermost, ntfy, slack, teams, webhook
from alerts.channels.notice import Notice, Request
from alerts.models import ChannelKind

Builder = Callable[[Notice, str, int], Request]

BUILDERS: dict[str, Builder] = {
    ChannelKind.WEBHOOK: webhook.build,
    ChannelKind.SLACK: slack.build,
    ChannelKind.DISCORD: discord.build,
    ChannelKind.MATTERMOST: mattermost.build,
    ChannelKind.TEAMS: teams.build,
    ChannelKind.NTFY: ntfy.build,
}
