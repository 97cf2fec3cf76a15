from django.urls import path, re_path

from api import artifact_views, dif_views, release_views, views

app_name = "api"

ORG = "api/0/organizations/<str:org_slug>/"
urlpatterns = [
    path("api/0/", views.index, name="index"),
    path("api/0/organizations/", views.organizations, name="organizations"),
    path("api/0/projects/", views.projects, name="projects"),
    path(f"{ORG}projects/", views.projects, name="org_projects"),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/issues/",
        views.project_issues,
        name="project_issues",
    ),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/events/",
        views.project_events,
        name="project_events",
    ),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/events/<str:event_id>/",
        views.project_event,
        name="project_event",
    ),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/files/difs/assemble/",
        dif_views.assemble_difs,
        name="assemble_difs",
    ),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/files/dsyms/",
        dif_views.list_difs,
        name="difs",
    ),
    path(f"{ORG}chunk-upload/", artifact_views.chunk_upload, name="chunk_upload"),
    path(f"{ORG}artifactbundle/assemble/", artifact_views.assemble_bundle, name="assemble_bundle"),
    path(f"{ORG}releases/", release_views.release_list, name="releases"),
    path(
        "api/0/projects/<str:org_slug>/<str:project_slug>/releases/",
        release_views.release_list,
        name="project_releases",
    ),
    path(f"{ORG}releases/<str:version>/", release_views.release_detail, name="release"),
    path(f"{ORG}releases/<str:version>/deploys/", release_views.deploys, name="deploys"),
    path(f"{ORG}releases/<str:version>/commits/", release_views.commits, name="commits"),
    path(f"{ORG}repos/", release_views.repos, name="repos"),
    path("api/0/issues/<str:issue_id>/", views.issue, name="issue"),
    path("api/0/issues/<str:issue_id>/events/", views.issue_events, name="issue_events"),
    path("api/0/issues/<str:issue_id>/comments/", views.issue_comments, name="issue_comments"),
    path(
        "api/0/issues/<str:issue_id>/comments/<str:comment_id>/",
        views.issue_comment,
        name="issue_comment",
    ),
    path(f"{ORG}issues/<str:issue_id>/comments/", views.issue_comments, name="org_issue_comments"),
    path(
        f"{ORG}issues/<str:issue_id>/comments/<str:comment_id>/",
        views.issue_comment,
        name="org_issue_comment",
    ),
    path(
        "api/0/issues/<str:issue_id>/events/latest/",
        views.issue_latest_event,
        name="issue_latest_event",
    ),
    path(f"{ORG}issues/<str:issue_id>/", views.issue, name="org_issue"),
    path(f"{ORG}issues/<str:issue_id>/events/", views.issue_events, name="org_issue_events"),
    path(
        f"{ORG}issues/<str:issue_id>/events/latest/",
        views.issue_latest_event,
        name="org_issue_latest_event",
    ),
    # Only paths with a trailing slash, so that APPEND_SLASH still redirects `/issues` to
    # `/issues/` before this answers.
    re_path(r"^api/0/(?P<rest>.*/)$", views.not_found, name="not_found"),
]
