from django.urls import path

from digest import views

app_name = "digest"
urlpatterns = [
    path("projects/<slug:slug>/issues/<int:issue_id>/unmerge/", views.unmerge, name="unmerge"),
]
