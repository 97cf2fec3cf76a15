from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("projects/<slug:slug>/alerts/", views.project_alerts, name="project_alerts"),
    path("projects/<slug:slug>/alerts/test-email/", views.send_test_email, name="send_test_email"),
    path("alerts/failed/", views.failed, name="failed"),
]
