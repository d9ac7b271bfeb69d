"""Every API route under /api/v1/, one include per app."""

from django.urls import include, path

urlpatterns = [
    path("", include("vigisante.accounts.api_urls")),
    path("", include("vigisante.reports.api_urls")),
    path("", include("vigisante.triage.api_urls")),
    path("", include("vigisante.observatory.api_urls")),
]
