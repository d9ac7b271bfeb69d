"""Routes of the transmissions API, mounted under /api/v1/."""

from django.urls import path

from vigisante.authorities import api

app_name = "authorities-api"
urlpatterns = [
    path("transmissions/", api.TransmissionList.as_view(), name="transmission-list"),
    path("transmissions/<int:pk>/", api.TransmissionDetail.as_view(),
         name="transmission-detail"),
    path("transmissions/<int:pk>/read/", api.TransmissionRead.as_view(),
         name="transmission-read"),
    path("reports/<int:report_id>/transmission-holds/", api.ReportHolds.as_view(),
         name="holds"),
    path("reports/<int:report_id>/transmission-holds/release/", api.ReleaseAllHolds.as_view(),
         name="release-all"),
    path("reports/<int:report_id>/transmission-holds/<int:hold_id>/release/",
         api.ReleaseHolds.as_view(), name="release"),
]
