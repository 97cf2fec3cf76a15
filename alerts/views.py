"""Alert pages: a project's alerts (incl. held and failed), its channels and rules, the test
email and channel tests, failed alerts of all projects. One view per action; state changes
are POST + CSRF and for project admins."""

import smtplib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from alerts.access import channel_admin, channel_member, rule_admin
from alerts.channel_admin import create_channel, queue_test, set_enabled, update_channel
from alerts.emails import make_test_email
from alerts.forms import ChannelEditForm, ChannelForm, RuleForm
from alerts.models import Alert, AlertRule, AlertStatus, Channel, DeliveryStatus
from core.http import AuthenticatedHttpRequest
from projects.access import project_admin, project_member, staff_required
from projects.models import Membership

PAGE_SIZE = 50
LOG_SIZE = 50


def _with_delivery_counts(alerts):
    return alerts.select_related("project", "issue").annotate(
        recipients=Count("deliveries"),
        delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
    )


@project_member
def project_alerts(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    alerts = Alert.objects.filter(project=project)
    status = request.GET.get("status", "")
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    page = Paginator(
        _with_delivery_counts(alerts).order_by("-created_at", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/project_alerts.html",
        {
            "project": project,
            "membership": membership,
            "page": page,
            "status": status,
            "statuses": AlertStatus.choices,
            "max_per_hour": settings.ALERTS_MAX_PER_PROJECT_PER_HOUR,
            "channels": project.alert_channels.all(),
            "rules": project.alert_rules.prefetch_related("channels"),
        },
    )


def _back(slug: str) -> HttpResponse:
    return redirect("alerts:project_alerts", slug)


@project_admin
def channel_add(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = create_channel(
                project, data["kind"], data["url"], data["name"], data["secret"],
                add_to_default_rule=data["add_to_default_rule"],
            )  # fmt: skip
        except ValidationError as exc:  # the name may resolve differently a moment later
            form.add_error("url", exc)
        else:
            messages.success(request, f"Channel {channel.name!r} added. Send it a test.")
            return _back(project.slug)
    return render(request, "alerts/channel_form.html", {"project": project, "form": form})


@channel_admin
def channel_edit(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    project = membership.project
    form = ChannelEditForm(request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update_channel(channel, data["name"], data["url"], data["secret"])
        except ValidationError as exc:  # the name may resolve differently a moment later
            form.add_error("url", exc)
        else:
            messages.success(request, f"Channel {channel.name!r} saved.")
            return _back(project.slug)
    return render(
        request,
        "alerts/channel_form.html",
        {"project": project, "form": form, "channel": channel},
    )


def _switch(
    request: AuthenticatedHttpRequest, slug: str, channel: Channel, on: bool
) -> HttpResponse:
    set_enabled(channel, on)
    messages.success(request, f"Channel {channel.name!r} {'enabled' if on else 'disabled'}.")
    return _back(slug)


@require_POST
@channel_admin
def channel_disable(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    return _switch(request, membership.project.slug, channel, False)


@require_POST
@channel_admin
def channel_enable(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    return _switch(request, membership.project.slug, channel, True)


@channel_member
def channel_log(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    deliveries = channel.deliveries.select_related("alert", "alert__issue").order_by("-id")
    return render(
        request,
        "alerts/channel_log.html",
        {
            "project": membership.project,
            "membership": membership,
            "channel": channel,
            "deliveries": deliveries[:LOG_SIZE],
        },
    )


@require_POST
@channel_admin
def channel_test(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    queue_test(channel)
    messages.success(
        request, f"A test message to {channel.name!r} is queued; its delivery log shows the result."
    )
    return redirect("alerts:channel_log", membership.project.slug, channel.pk)


@require_POST
@channel_admin
def channel_delete(
    request: AuthenticatedHttpRequest, membership: Membership, channel: Channel
) -> HttpResponse:
    channel.delete()
    messages.success(request, f"Channel {channel.name!r} removed.")
    return _back(membership.project.slug)


def _rule_page(
    request: AuthenticatedHttpRequest, membership: Membership, rule: AlertRule | None
) -> HttpResponse:
    project = membership.project
    form = RuleForm(request.POST or None, instance=rule, project=project)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Rule {saved.name!r} saved.")
        return _back(project.slug)
    return render(
        request, "alerts/rule_form.html", {"project": project, "form": form, "rule": rule}
    )


@project_admin
def rule_add(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    return _rule_page(request, membership, None)


@rule_admin
def rule_edit(
    request: AuthenticatedHttpRequest, membership: Membership, rule: AlertRule
) -> HttpResponse:
    return _rule_page(request, membership, rule)


@require_POST
@rule_admin
def rule_delete(
    request: AuthenticatedHttpRequest, membership: Membership, rule: AlertRule
) -> HttpResponse:
    rule.delete()
    messages.success(request, f"Rule {rule.name!r} removed.")
    return _back(membership.project.slug)


def _after_test_email(slug: str) -> str:
    try:
        return reverse("projects:settings", args=[slug])
    except NoReverseMatch:
        return reverse("alerts:project_alerts", args=[slug])


@require_POST
@project_admin
def send_test_email(request: AuthenticatedHttpRequest, membership: Membership) -> HttpResponse:
    project = membership.project
    back = _after_test_email(project.slug)
    if not request.user.email:
        messages.error(request, "Your account has no email address to send a test email to.")
        return redirect(back)
    try:
        make_test_email(project, request.user.email).send()
    except (smtplib.SMTPException, OSError) as exc:
        messages.error(request, f"The test email could not be sent: {type(exc).__name__}: {exc}")
    else:
        messages.success(request, f"A test email was sent to {request.user.email}.")
    return redirect(back)


@staff_required
def failed(request: AuthenticatedHttpRequest) -> HttpResponse:
    alerts = Alert.objects.filter(status=AlertStatus.FAILED)
    page = Paginator(
        _with_delivery_counts(alerts).order_by("-created_at", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "alerts/failed.html", {"page": page})
