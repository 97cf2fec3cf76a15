"""Alert rules: which triggers reach which targets, and their filters (level, environment,
tag). `targets_for` is asked once per alert when the planner admits it."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerts.models import DEFAULT_RULE, LEVEL_RANK, Alert, AlertKind, AlertRule, Channel
from events.models import Event
from issues.models import Issue, IssueTagValue
from projects.models import Project


@dataclass
class Targets:
    email: bool = False
    channels: dict[int, Channel] = field(default_factory=dict)

    def add(self, rule: AlertRule) -> None:
        self.email = self.email or rule.email
        for channel in rule.channels.all():
            if channel.enabled:
                self.channels[channel.pk] = channel


def add_default_rule(sender: Any, instance: Project, created: bool, raw: bool = False, **kw: Any):
    """A new project alerts as Bugtrack always did: new, regression, unignored -> email."""
    if created and not raw:
        AlertRule.objects.create(project=instance, **DEFAULT_RULE)


def _rank(level: str) -> int:
    return LEVEL_RANK.get(level, LEVEL_RANK["error"])


def level_passes(rule: AlertRule, level: str) -> bool:
    return not rule.min_level or _rank(level or "error") >= _rank(rule.min_level)


def filters_events(rule: AlertRule) -> bool:
    return bool(rule.min_level or rule.environment or rule.tag_key)


def event_passes(rule: AlertRule, event: Event | None, issue: Issue) -> bool:
    """Filters on the event that raised the alert (the issue's values when it is gone)."""
    if not level_passes(rule, event.level if event else issue.level):
        return False
    if rule.environment:
        environment = event.environment if event else ""
        if environment != rule.environment:
            return False
    if rule.tag_key:
        tags = event.tags if event and isinstance(event.tags, dict) else {}
        if str(tags.get(rule.tag_key, "")) != rule.tag_value:
            return False
    return True


def issue_passes(rule: AlertRule, issue: Issue) -> bool:
    """Filters for frequency rules, which are about an issue rather than one event."""
    if not level_passes(rule, issue.level):
        return False
    if rule.environment and rule.environment not in (issue.environments or []):
        return False
    if rule.tag_key:
        return IssueTagValue.objects.filter(
            issue=issue, key=rule.tag_key, value=rule.tag_value
        ).exists()
    return True


def enabled_rules(project_id: int) -> list[AlertRule]:
    return list(
        AlertRule.objects.filter(project_id=project_id, enabled=True).prefetch_related("channels")
    )


def targets_for(
    alert: Alert, rules: list[AlertRule], load_event: Callable[[], Event | None]
) -> Targets:
    """Where one (non-summary) alert goes: the union of the targets of the rules it meets.
    The triggering event is loaded only if a rule filters on it (most rules do not, and a
    flood of new issues would otherwise cost a query per alert)."""
    targets = Targets()
    if alert.kind == AlertKind.FREQUENCY:
        rule = next((r for r in rules if r.pk == alert.rule_id), None)
        if rule is not None:
            targets.add(rule)
        return targets
    assert alert.issue is not None
    triggered = [rule for rule in rules if rule.triggers_on(alert.kind)]
    event = load_event() if any(filters_events(rule) for rule in triggered) else None
    for rule in triggered:
        if not filters_events(rule) or event_passes(rule, event, alert.issue):
            targets.add(rule)
    return targets
