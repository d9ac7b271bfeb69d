"""Routes of the indicators feed and of check-logs' matches, mounted under /api/v1/."""

from django.urls import path

from vigisante.indicators import feed_api

app_name = "indicators-feed-api"
urlpatterns = [
    path("indicators/", feed_api.IndicatorFeed.as_view(), name="feed"),
    path("indicators/matches/", feed_api.LogMatches.as_view(), name="matches"),
]
