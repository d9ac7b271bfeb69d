"""/feeds/: indicator lists for firewalls and sensors (docs/feeds.md)."""

from django.urls import path

from vigisante.taxii import feed_views

app_name = "feeds"
urlpatterns = [
    path("text/<str:kind>.txt", feed_views.text, name="text"),
    path("indicators.csv", feed_views.csv_feed, name="csv"),
    path("zeek.intel", feed_views.zeek, name="zeek"),
    path("suricata/<str:kind>.lst", feed_views.suricata, name="suricata"),
]
