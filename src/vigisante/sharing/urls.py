from django.urls import path

from vigisante.sharing import exchange_views, intel_views, views

app_name = "sharing"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/send/", views.send, name="send"),
    # Sharing formats (signed in, or an API token)
    path("<int:pk>/stix.json", exchange_views.alert_stix, name="alert-stix"),
    path("<int:pk>/misp.json", exchange_views.alert_misp, name="alert-misp"),
    path("campaigns/<int:pk>/stix.json", exchange_views.campaign_stix, name="campaign-stix"),
    path("campaigns/<int:pk>/misp.json", exchange_views.campaign_misp, name="campaign-misp"),
    path("misp/feed/manifest.json", exchange_views.feed_manifest, name="misp-feed-manifest"),
    path("misp/feed/hashes.csv", exchange_views.feed_hashes, name="misp-feed-hashes"),
    path("misp/feed/<uuid:event_uuid>.json", exchange_views.feed_event, name="misp-feed-event"),
    # Incoming intelligence (CERT staff)
    path("intel/", intel_views.intel_list, name="intel-list"),
    path("intel/<int:pk>/", intel_views.intel_detail, name="intel-detail"),
    path("intel/<int:pk>/accept/", intel_views.intel_accept, name="intel-accept"),
    path("intel/<int:pk>/dismiss/", intel_views.intel_dismiss, name="intel-dismiss"),
]
