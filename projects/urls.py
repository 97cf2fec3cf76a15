from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("projects/new/", views.project_create, name="create"),
    path("projects/<slug:slug>/settings/", views.project_settings, name="settings"),
    path("projects/<slug:slug>/keys/", views.project_keys, name="keys"),
    path("projects/<slug:slug>/keys/add/", views.add_key, name="add_key"),
    path("projects/<slug:slug>/keys/<int:key_id>/revoke/", views.revoke_key, name="revoke_key"),
    path("projects/<slug:slug>/members/", views.project_members, name="members"),
    path(
        "projects/<slug:slug>/members/<int:member_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "projects/<slug:slug>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("projects/<slug:slug>/setup/", views.project_setup, name="setup"),
]
