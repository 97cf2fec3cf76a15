from django.urls import include, path

# Each app owns its URLs; order matters only where prefixes overlap.
urlpatterns = [
    path("", include("ops.urls")),
    path("", include("accounts.urls")),
    path("", include("api.token_urls")),
    path("", include("api.urls")),
    path("", include("projects.urls")),
    path("", include("alerts.urls")),
    path("", include("ingest.urls")),
    path("", include("issues.urls")),
    path("", include("digest.urls")),
]
