from django.urls import path

from alerts import views

app_name = "alerts"
P = "projects/<slug:slug>/alerts/"
urlpatterns = [
    path(P, views.project_alerts, name="project_alerts"),
    path(f"{P}test-email/", views.send_test_email, name="send_test_email"),
    path(f"{P}channels/add/", views.channel_add, name="channel_add"),
    path(f"{P}channels/<int:channel_id>/", views.channel_log, name="channel_log"),
    path(f"{P}channels/<int:channel_id>/edit/", views.channel_edit, name="channel_edit"),
    path(f"{P}channels/<int:channel_id>/disable/", views.channel_disable, name="channel_disable"),
    path(f"{P}channels/<int:channel_id>/enable/", views.channel_enable, name="channel_enable"),
    path(f"{P}channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    path(f"{P}channels/<int:channel_id>/delete/", views.channel_delete, name="channel_delete"),
    path(f"{P}rules/add/", views.rule_add, name="rule_add"),
    path(f"{P}rules/<int:rule_id>/", views.rule_edit, name="rule_edit"),
    path(f"{P}rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("alerts/failed/", views.failed, name="failed"),
]
