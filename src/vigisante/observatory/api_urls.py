"""Routes of the observatory API, mounted under /api/v1/."""

from django.urls import path

from vigisante.observatory import api

app_name = "observatory-api"
urlpatterns = [
    path("observatory/", api.FiguresView.as_view(), name="figures"),
]
