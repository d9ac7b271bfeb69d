"""Every API route under /api/v1/, one include per app."""

from django.urls import include, path

from vigisante.core import api_views as core_api

urlpatterns = [
    path("ping/", core_api.ping, name="api-ping"),
    path("", include("vigisante.accounts.api_urls")),
    path("", include("vigisante.reports.api_urls")),
    path("", include("vigisante.triage.api_urls")),
    path("", include("vigisante.observatory.api_urls")),
    path("", include("vigisante.clocks.api_urls")),
    path("", include("vigisante.sharing.api_urls")),
    path("", include("vigisante.indicators.feed_api_urls")),
    path("", include("vigisante.indicators.campaign_api_urls")),
    path("", include("vigisante.drafts.api_urls")),
    path("", include("vigisante.authorities.api_urls")),
]
