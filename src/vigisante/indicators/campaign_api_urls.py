"""Routes of the campaigns API, mounted under /api/v1/."""

from django.urls import path

from vigisante.indicators import campaign_api as api

app_name = "campaigns-api"
urlpatterns = [
    path("campaigns/", api.CampaignListView.as_view(), name="list"),
    path("campaigns/<int:pk>/", api.CampaignDetailView.as_view(), name="detail"),
    path("campaigns/<int:pk>/confirm/", api.ConfirmView.as_view(), name="confirm"),
    path("campaigns/<int:pk>/merge/", api.MergeView.as_view(), name="merge"),
    path("campaigns/<int:pk>/split/", api.SplitView.as_view(), name="split"),
    path("campaigns/<int:pk>/acknowledge/", api.AcknowledgeView.as_view(), name="acknowledge"),
]
