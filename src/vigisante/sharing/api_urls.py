"""Routes of the alerts API, mounted under /api/v1/."""

from django.urls import path, re_path

from vigisante.sharing import api, intel_api

app_name = "sharing-api"
urlpatterns = [
    path("alerts/", api.AlertList.as_view(), name="alert-list"),
    path("alerts/<int:pk>/", api.AlertDetail.as_view(), name="alert-detail"),
    path("alerts/<int:pk>/read/", api.AlertMarkRead.as_view(), name="alert-read"),
    re_path(r"^intel/(?P<fmt>stix|misp)/$", intel_api.IntelCreate.as_view(),
            name="intel-create"),
]
