from django.urls import path

from ingest import setup_views

# The SDK endpoints are not here: ingest.wsgi / ingest.middleware answer them first.
app_name = "ingest"
urlpatterns = [
    path(
        "projects/<slug:slug>/test-event/",
        setup_views.send_test_event,
        name="send_test_event",
    ),
]
