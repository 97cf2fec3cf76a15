from django.urls import path

from issues import project_views, release_views, suggest_views, views, workflow_views

app_name = "issues"
ISSUE = "projects/<slug:slug>/issues/<int:issue_id>/"
urlpatterns = [
    path("", views.all_issues, name="all"),
    path("projects/", project_views.project_list, name="project_list"),
    path("projects/<slug:slug>/first-event/", project_views.first_event, name="first_event"),
    path("projects/<slug:slug>/issues/", views.issue_list, name="list"),
    path("projects/<slug:slug>/issues/bulk/", views.bulk, name="bulk"),
    path("suggest/", suggest_views.suggest_all, name="suggest_all"),
    path("projects/<slug:slug>/issues/suggest/", suggest_views.suggest_project, name="suggest"),
    path("projects/<slug:slug>/releases/", release_views.release_list, name="releases"),
    path("projects/<slug:slug>/issues/<int:issue_id>/", views.issue_detail, name="detail"),
    path("projects/<slug:slug>/issues/<int:issue_id>/events/", views.issue_events, name="events"),
    # After the fixed paths above: bulk/ and suggest/ are no short ids anyway (SHORT_ID needs
    # a -number).
    path(
        "projects/<slug:slug>/issues/<str:short_code>/",
        views.issue_by_short_id,
        name="short_id",
    ),
    path("projects/<slug:slug>/issues/<int:issue_id>/resolve/", views.resolve, name="resolve"),
    path(
        "projects/<slug:slug>/issues/<int:issue_id>/resolve-next-release/",
        views.resolve_next_release,
        name="resolve_next_release",
    ),
    path("projects/<slug:slug>/issues/<int:issue_id>/ignore/", views.ignore, name="ignore"),
    path(
        "projects/<slug:slug>/issues/<int:issue_id>/unresolve/", views.unresolve, name="unresolve"
    ),
    path("projects/<slug:slug>/issues/<int:issue_id>/merged/", views.merged, name="merged"),
    path(f"{ISSUE}assign/", workflow_views.assign, name="assign"),
    path(f"{ISSUE}comments/", workflow_views.comment_add, name="comment_add"),
    path(
        f"{ISSUE}comments/<int:comment_id>/edit/", workflow_views.comment_edit, name="comment_edit"
    ),
    path(
        f"{ISSUE}comments/<int:comment_id>/delete/",
        workflow_views.comment_delete,
        name="comment_delete",
    ),
    path(f"{ISSUE}bookmark/", workflow_views.bookmark, name="bookmark"),
    path(f"{ISSUE}mute/", workflow_views.mute, name="mute"),
    path(f"{ISSUE}delete/", workflow_views.delete, name="delete"),
    path(
        "projects/<slug:slug>/issues/<int:issue_id>/events/<str:event_id>/json/",
        views.event_json,
        name="event_json",
    ),
]
