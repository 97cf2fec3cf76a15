"""What admitting alerts costs: a flood of new issues must not cost the sender queries per
alert, so that it keeps up with the digest at a fraction of the digest's CPU."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertRule, AlertStatus
from alerts.planning import plan_due_alerts
from projects.services import create_project
from tests.alert_factories import new_issue_with_alert


def planning_queries(project, alerts: int) -> int:
    for n in range(alerts):
        new_issue_with_alert(project, title=f"ValueError: flood {project.pk} {n}")
    with CaptureQueriesContext(connection) as queries:
        plan_due_alerts(timezone.now())
    return len(queries.captured_queries)


@override_settings(ALERTS_MAX_PER_PROJECT_PER_HOUR=5)
def test_planning_a_flood_costs_the_same_queries_for_10_alerts_as_for_30(project):
    other = create_project("Frontend", admins=list(project.members.all()))
    small, large = planning_queries(project, 10), planning_queries(other, 30)
    # 5 of each project's alerts go out, the rest are held for the summary.
    assert Alert.objects.filter(project=other, status=AlertStatus.HELD).count() == 25
    assert Alert.objects.filter(project=other, kind=AlertKind.SUMMARY).count() == 1
    # Flat: the decisions of a plan are written together (it was three queries per held
    # alert: the event's full row, the open summary looked up again, an UPDATE).
    assert large == small, (small, large)


@pytest.mark.parametrize(("environment", "status"), [
    ("production", AlertStatus.SENDING),  # the event's: only a read event can match it
    ("staging", AlertStatus.SENT),  # another: no rule sends it anywhere
])  # fmt: skip
def test_an_environment_filter_still_reads_the_triggering_event(project, environment, status):
    AlertRule.objects.filter(project=project).update(environment=environment)
    new_issue_with_alert(project)  # its event is in production
    plan_due_alerts(timezone.now())
    alert = Alert.objects.get(project=project, kind=AlertKind.NEW_ISSUE)
    assert alert.status == status, alert.last_error
