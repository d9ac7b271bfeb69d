"""Routes of the observatory API, mounted under /api/v1/."""

from django.urls import path

from vigisante.observatory import api

app_name = "observatory-api"
urlpatterns = [
    path("observatory/", api.FiguresView.as_view(), name="figures"),
    path("observatory/published/", api.PublishedListView.as_view(), name="published_list"),
    path("observatory/published/<int:year>/", api.PublishedView.as_view(), name="published"),
]
