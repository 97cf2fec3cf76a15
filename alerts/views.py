"""Alert pages: a project's alerts (incl. held and failed), the test email, failed alerts."""

import smtplib

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from alerts.emails import make_test_email
from alerts.models import Alert, AlertStatus, DeliveryStatus
from core.http import AuthenticatedHttpRequest
from projects.access import project_admin, project_member, staff_required
from projects.models import Membership

PAGE_SIZE = 50


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
        },
    )


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
