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
]
