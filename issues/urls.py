from django.urls import path

from issues import release_views, views

app_name = "issues"
urlpatterns = [
    path("", views.all_issues, name="all"),
    path("projects/<slug:slug>/issues/", views.issue_list, name="list"),
    path("projects/<slug:slug>/issues/bulk/", views.bulk, name="bulk"),
    path("projects/<slug:slug>/releases/", release_views.release_list, name="releases"),
    path("projects/<slug:slug>/issues/<int:issue_id>/", views.issue_detail, name="detail"),
    path("projects/<slug:slug>/issues/<int:issue_id>/events/", views.issue_events, name="events"),
    # After the fixed paths above: bulk/ is no short id anyway, as SHORT_ID needs a -number.
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
    path(
        "projects/<slug:slug>/issues/<int:issue_id>/events/<str:event_id>/json/",
        views.event_json,
        name="event_json",
    ),
]
